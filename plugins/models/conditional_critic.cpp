#include "conditional_critic.hpp"

#include <ganflow/fields.hpp>

#include <torch/torch.h>

namespace ganflow_models {

namespace {
constexpr int64_t kWindow = 4;  // the output conv's kernel
}

ConditionalCritic::ConditionalCritic(torch::nn::Sequential critic, int64_t features, int64_t n_classes,
                                     CriticConditioning c)
    : n_classes_(n_classes) {
  const std::size_t n = critic->size();
  std::size_t i = 0;
  for (const torch::nn::AnyModule& m : *critic) (i++ + 2 < n ? body_ : head_)->push_back(m);
  register_module("body", body_);
  register_module("head", head_);
  if (c != CriticConditioning::Acgan) {
    embed_ = register_module("embed", torch::nn::Embedding(n_classes, features * kWindow * kWindow));
    torch::NoGradGuard ng;
    torch::nn::init::xavier_uniform_(embed_->weight);  // N(0, 1) would swamp the logit at C*16 wide
  }
  if (c != CriticConditioning::Projection) aux_ = register_module("aux", torch::nn::Linear(features, n_classes));
}

torch::Tensor ConditionalCritic::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  const torch::Tensor h = body_->forward(x);
  torch::Tensor out = head_->forward(h);
  if (embed_) {
    namespace F = torch::nn::functional;
    const torch::Tensor windows = F::unfold(h, F::UnfoldFuncOptions({kWindow, kWindow}));  // [bs, C*16, N]
    const torch::Tensor e = embed_->forward(labels).to(h.scalar_type()).unsqueeze(2);
    out = out + (windows * e).sum(1).to(out.scalar_type());
  }
  if (aux_) out = torch::cat({out, aux_->forward(h.mean({2, 3})).to(out.scalar_type())}, 1);
  return out;
}

std::string ConditionalCritic::torchscript() const {
  const std::string w = std::to_string(kWindow);
  std::string src = "def forward(self, x: Tensor, labels: Tensor) -> Tensor:\n    h = self.body.forward(x)\n    out = self.head.forward(h)\n";
  if (embed_)
    src += "    windows = torch.im2col(h, [" + w + ", " + w + "], [1, 1], [0, 0], [1, 1])\n"
           "    e = self.embed.forward(labels).to(h.dtype).unsqueeze(2)\n"
           "    out = out + (windows * e).sum(1).to(out.dtype)\n";
  if (aux_) src += "    out = torch.cat([out, self.aux.forward(h.mean([2, 3])).to(out.dtype)], 1)\n";
  return src + "    return out\n";
}

std::shared_ptr<ganflow::Model> conditional_critic_model(torch::nn::Sequential critic, int64_t features,
                                                         int64_t n_classes, CriticConditioning c,
                                                         LabelledNetModel::InputCheck check_input) {
  auto net = std::make_shared<ConditionalCritic>(critic, features, n_classes, c);
  const int64_t aux = net->aux_classes();
  return std::make_shared<LabelledNetModel>(net, n_classes, aux, std::move(check_input));
}

}  // namespace ganflow_models
