#pragma once
// Dynamic loss scaling for fp16 training (LibTorch's C++ API has no GradScaler). The loss is
// multiplied by the scale before backward, so small fp16 gradients do not flush to zero;
// before the step the gradients are unscaled and checked for inf/NaN in one device-side
// reduction (one host sync per step, not one per parameter). A step with a non-finite
// gradient is skipped and the scale halved; after growth_interval clean steps it doubles.
// A disabled scaler (fp32, bf16) passes the loss through and always steps.
#include <torch/types.h>

#include "ganflow/framework/train/optimizer.hpp"
#include "ganflow/params.hpp"

namespace ganflow {

class LossScaler {
 public:
  explicit LossScaler(bool enabled = false, double init_scale = 65536.0, int64_t growth_interval = 2000);
  torch::Tensor scale(const torch::Tensor& loss) const;
  // Unscales the gradients of opt's parameters, steps opt if they are all finite, updates
  // the scale. Returns whether opt stepped.
  bool step(Optim& opt);
  double scale_value() const { return scale_; }
  int64_t growth_tracker() const { return tracker_; }
  // Checkpointed so a resumed run continues with the same scale and growth count.
  json state() const;
  void load_state(const json& s);

 private:
  bool enabled_;
  double scale_;
  int64_t growth_interval_, tracker_ = 0;
};

}  // namespace ganflow
