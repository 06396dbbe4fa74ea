#include "ganflow/framework/train/loss_scaler.hpp"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>

namespace ganflow {

LossScaler::LossScaler(bool enabled, double init_scale, int64_t growth_interval)
    : enabled_(enabled), scale_(init_scale), growth_interval_(growth_interval) {}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }

bool LossScaler::step(Optim& opt) {
  if (!enabled_) {
    opt.step();
    return true;
  }
  std::vector<torch::Tensor> grads;
  for (const auto& p : opt.params())
    if (p.grad().defined()) grads.push_back(p.grad());
  bool finite = true;
  if (!grads.empty()) {
    torch::NoGradGuard ng;
    torch::Tensor found_inf;
    if (grads.front().is_cuda()) {
      // CUDA: one fused kernel unscales every gradient and flags any inf/NaN.
      found_inf = torch::zeros({1}, grads.front().options().dtype(torch::kFloat));
      at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf,
                                                     torch::full({1}, 1.0 / scale_, found_inf.options()));
    } else {
      // The fused kernel is CUDA-only in LibTorch 1.13: unscale with one foreach op, then the
      // largest |g| of all gradients (inf or NaN if any is) in one reduction.
      at::_foreach_mul_(grads, 1.0 / scale_);
      found_inf = torch::stack(at::_foreach_norm(grads, INFINITY)).amax().isfinite().logical_not().to(torch::kFloat);
    }
    finite = found_inf.item<float>() == 0;  // the one host sync of the step
  }
  if (!finite) {
    scale_ *= 0.5;
    tracker_ = 0;
    return false;
  }
  opt.step();
  if (++tracker_ == growth_interval_) {
    scale_ *= 2.0;
    tracker_ = 0;
  }
  return true;
}

json LossScaler::state() const { return {{"scale", scale_}, {"growth_tracker", tracker_}}; }

void LossScaler::load_state(const json& s) {
  scale_ = s.at("scale").get<double>();
  tracker_ = s.at("growth_tracker").get<int64_t>();
}

}  // namespace ganflow
