#include "ganflow/framework/train/autocast_scope.hpp"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "ganflow/error.hpp"

// LibTorch 2.4 replaced the per-device functions (is_cpu_enabled, set_autocast_gpu_dtype, ...)
// with ones taking a device type, and deprecated the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define GANFLOW_AUTOCAST_DEVICE_API 1
#endif

namespace ganflow {

namespace {
void require_supported(c10::DeviceType device) {
  if (device != c10::DeviceType::CPU && device != c10::DeviceType::CUDA)
    throw Error("mixed precision supports cpu and cuda devices, not " + c10::DeviceTypeName(device));
}

void set_state(c10::DeviceType device, bool on, at::ScalarType dtype) {
#ifdef GANFLOW_AUTOCAST_DEVICE_API
  at::autocast::set_autocast_dtype(device, dtype);
  at::autocast::set_autocast_enabled(device, on);
#else
  if (device == c10::DeviceType::CPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(on);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(on);
  }
#endif
}
}  // namespace

bool autocast_enabled(c10::DeviceType device) {
#ifdef GANFLOW_AUTOCAST_DEVICE_API
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

at::ScalarType autocast_dtype(c10::DeviceType device) {
#ifdef GANFLOW_AUTOCAST_DEVICE_API
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype()
                                        : at::autocast::get_autocast_gpu_dtype();
#endif
}

AutocastScope::AutocastScope(c10::DeviceType device, std::optional<at::ScalarType> dtype) : device_(device) {
  if (!dtype) return;
  require_supported(device);
  prev_enabled_ = autocast_enabled(device);
  prev_dtype_ = autocast_dtype(device);
  set_state(device, true, *dtype);
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_state(device_, prev_enabled_, prev_dtype_);
}

}  // namespace ganflow
