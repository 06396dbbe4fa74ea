// nn.BCEWithLogitsLoss (mean): the critic's loss in gan_loss_from_func (through adaptive_loss).
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>
#include "shapes.hpp"

namespace ganflow_losses {

namespace {
class BCEWithLogits : public ganflow::Loss {
 public:
  torch::Tensor forward(const torch::Tensor& output, const torch::Tensor& target) override {
    require_same_shape(output, target, name(), "; wrap it in adaptive_loss to expand per-image labels");
    return torch::binary_cross_entropy_with_logits(output, target.to(output.scalar_type()));
  }
};
}  // namespace

void register_bce_with_logits(ganflow::Registry& r) {
  ganflow::NodeSpec s("bce_with_logits", ganflow::NodeKind::Loss,
                      "Binary cross-entropy on logits, mean over all elements (nn.BCEWithLogitsLoss); "
                      "output and target must have the same shape.");
  s.factory = [](const ganflow::BuildContext&) { return std::make_shared<BCEWithLogits>(); };
  r.add(std::move(s));
}

}  // namespace ganflow_losses
