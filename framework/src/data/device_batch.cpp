#include "ganflow/framework/data/device_batch.hpp"

#include <c10/core/impl/VirtualGuardImpl.h>

#include <thread>

#include "ganflow/unit_range.hpp"

namespace ganflow {

torch::Tensor images_to_device(const torch::Tensor& u8, const torch::Device& device) {
  // On the CPU the .to is a no-op and the float conversion makes the copy.
  return unit_from_pixels(u8.to(device, torch::kUInt8, /*non_blocking=*/true));
}

torch::Tensor labels_to_device(const torch::Tensor& labels, const torch::Device& device) {
  return labels.to(device, torch::kLong, /*non_blocking=*/true, /*copy=*/true);
}

void CopyFence::record(const torch::Device& device) {
  if (!device.is_cuda()) return;
  event_ = std::make_unique<c10::Event>(device.type());
  c10::impl::VirtualGuardImpl guard(device.type());
  event_->record(guard.getStream(device));
}

void CopyFence::wait() {
  if (!event_) return;
  // c10::Event has no blocking wait in LibTorch 1.13; the copy is small and usually done.
  while (!event_->query()) std::this_thread::yield();
  event_.reset();
}

}  // namespace ganflow
