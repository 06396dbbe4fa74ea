// fastai's MSELossFlat and L1LossFlat: both sides flattened, target cast to float.
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>
#include "shapes.hpp"

namespace ganflow_losses {

namespace {
class FlatLoss : public ganflow::Loss {
 public:
  explicit FlatLoss(bool squared) : squared_(squared) {}
  torch::Tensor forward(const torch::Tensor& output, const torch::Tensor& target) override {
    require_same_numel(output, target, name());
    auto o = output.reshape(-1);
    auto t = target.reshape(-1).to(output.scalar_type());
    return squared_ ? torch::mse_loss(o, t) : torch::l1_loss(o, t);
  }

 private:
  bool squared_;
};

void add(ganflow::Registry& r, const char* type, bool squared, const char* doc) {
  ganflow::NodeSpec s(type, ganflow::NodeKind::Loss, doc);
  s.factory = [squared](const ganflow::BuildContext&) { return std::make_shared<FlatLoss>(squared); };
  r.add(std::move(s));
}
}  // namespace

void register_flat_losses(ganflow::Registry& r) {
  add(r, "mse", true, "Mean squared error over flattened output and target (fastai MSELossFlat); a pixel loss.");
  add(r, "l1", false, "Mean absolute error over flattened output and target (fastai L1LossFlat); a pixel loss.");
}

}  // namespace ganflow_losses
