#pragma once
// Mixed precision for one region (forward passes and the loss): LibTorch autocast on one
// device type with a lower-precision dtype. The previous autocast state (enabled, dtype) is
// restored when the scope ends, exceptions included, and the cast-weight cache is cleared at
// the outermost exit (as torch.autocast's __exit__) so stepped weights are never reused stale.
#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <optional>

namespace ganflow {

class AutocastScope {
 public:
  // dtype nullopt: fp32, the scope does nothing. Devices: CPU and CUDA.
  AutocastScope(c10::DeviceType device, std::optional<at::ScalarType> dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType device_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

// Autocast state of a device type, over the LibTorch 1.13 and 2.x APIs.
bool autocast_enabled(c10::DeviceType device);
at::ScalarType autocast_dtype(c10::DeviceType device);

}  // namespace ganflow
