// fastai AdaptiveLoss: crit(output, target[:, None].expand_as(output).float()).
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>
#include "shapes.hpp"

namespace ganflow_losses {

namespace {
class AdaptiveLoss : public ganflow::Loss {
 public:
  explicit AdaptiveLoss(std::shared_ptr<ganflow::Loss> crit) : crit_(std::move(crit)) {}
  torch::Tensor forward(const torch::Tensor& output, const torch::Tensor& target) override {
    if (target.dim() != 1 || output.dim() < 1 || target.size(0) != output.size(0))
      throw ganflow::Error("expected per-image labels [bs] for an output [bs, ...], got target " +
                               shape_text(target) + " and output " + shape_text(output),
                           name());
    // [bs] -> [bs, 1, ...] with output's rank: fastai's target[:, None] for [bs, N], generalised.
    std::vector<int64_t> shape(output.dim(), 1);
    shape[0] = target.size(0);
    return crit_->forward(output, target.view(shape).expand_as(output).to(torch::kFloat));
  }

 private:
  std::shared_ptr<ganflow::Loss> crit_;
};
}  // namespace

void register_adaptive_loss(ganflow::Registry& r) {
  ganflow::NodeSpec s("adaptive_loss", ganflow::NodeKind::Loss,
                      "fastai AdaptiveLoss: expands a per-image label [bs] over the critic's output "
                      "([bs, N] patches or [bs, 1]) as float, then applies `crit`.");
  s.input("crit", {ganflow::NodeKind::Loss}, "The loss applied to the expanded target (usually bce_with_logits).");
  s.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<AdaptiveLoss>(c.input<ganflow::Loss>("crit"));
  };
  r.add(std::move(s));
}

}  // namespace ganflow_losses
