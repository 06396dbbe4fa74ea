#include "conditional_generator.hpp"

#include <ganflow/layers/conv_transpose.hpp>

#include <torch/torch.h>

namespace ganflow_models {

using namespace ganflow::layers;

CbnBlockImpl::CbnBlockImpl(const ConvLayerOptions& o, int64_t class_dim) : order_(o.order) {
  // conv_layer without its BatchNorm (and so without bias, as with one): [conv, act].
  SequentialBlock conv_act = conv_layer(ConvLayerOptions(o).with_norm(Norm::None).with_bias(false));
  conv_ = *conv_act->begin();
  act_ = *(conv_act->begin() + 1);
  register_module("conv", conv_.ptr());
  register_module("act", act_.ptr());
  cbn_ = register_module("cbn", ConditionalBatchNorm2d(o.nf, class_dim));
}

torch::Tensor CbnBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cond) {
  torch::Tensor h = conv_.forward(x);
  if (order_ == BlockOrder::V1) return cbn_->forward(act_.forward(h), cond);
  return act_.forward(cbn_->forward(h, cond));
}

std::string CbnBlockImpl::torchscript() const {
  return std::string("def forward(self, x: Tensor, cond: Tensor) -> Tensor:\n    h = self.conv.forward(x)\n") +
         (order_ == BlockOrder::V1 ? "    return self.cbn.forward(self.act.forward(h), cond)\n" : "    return self.act.forward(self.cbn.forward(h, cond))\n");
}

CbnGenerator::CbnGenerator(const std::vector<ConvLayerOptions>& blocks, int64_t out_ftrs, int64_t n_channels,
                           int64_t n_classes, int64_t class_dim) {
  embed_ = register_module("embed", torch::nn::Embedding(n_classes, class_dim));  // N(0, 1), as torch's
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (const auto& o : blocks) blocks_->push_back(CbnBlock(o, class_dim));
  // As basic_generator's output layer: no bias, PyTorch's default init, then tanh.
  out_ = torch::nn::AnyModule(FastConvTranspose2d(
      torch::nn::ConvTranspose2dOptions(out_ftrs, n_channels, 4).stride(2).padding(1).bias(false)));
  register_module("out", out_.ptr());
}

torch::Tensor CbnGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  torch::Tensor h = z.view({z.size(0), z.size(1), 1, 1});  // [bs, noise_sz] too, as basic_generator
  const torch::Tensor cond = embed_->forward(labels);
  for (auto& block : *blocks_) h = block->as<CbnBlockImpl>()->forward(h, cond);
  return torch::tanh(out_.forward(h));
}

std::string CbnGenerator::torchscript() const {
  std::string src =
      "def forward(self, z: Tensor, labels: Tensor) -> Tensor:\n"
      "    h = z.view(z.size(0), z.size(1), 1, 1)\n    cond = self.embed.forward(labels)\n";
  for (std::size_t i = 0; i < blocks_->size(); ++i) src += "    h = getattr(self.blocks, \"" + std::to_string(i) + "\").forward(h, cond)\n";
  return src + "    return torch.tanh(self.out.forward(h))\n";
}

ConcatGenerator::ConcatGenerator(torch::nn::Sequential net, int64_t n_classes) : net_(std::move(net)) {
  embed_ = register_module("embed", torch::nn::Embedding(n_classes, n_classes));
  register_module("net", net_);
}

torch::Tensor ConcatGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  torch::Tensor h = torch::cat({z.flatten(1), embed_->forward(labels).to(z.scalar_type())}, 1);
  return net_->forward(h.view({h.size(0), h.size(1), 1, 1}));
}

std::string ConcatGenerator::torchscript() const {
  return "def forward(self, z: Tensor, labels: Tensor) -> Tensor:\n"
         "    h = torch.cat([z.flatten(1), self.embed.forward(labels).to(z.dtype)], 1)\n"
         "    return self.net.forward(h.view(h.size(0), h.size(1), 1, 1))\n";
}

}  // namespace ganflow_models
