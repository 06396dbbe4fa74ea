#include "ganflow/framework/data/device_batch.hpp"

#include <c10/core/impl/VirtualGuardImpl.h>

#include <thread>

#include "ganflow/unit_range.hpp"

namespace ganflow {

torch::Tensor images_to_device(const torch::Tensor& u8, const torch::Device& device) {
  // On the CPU the .to is a no-op and the float conversion makes the copy.
  return unit_from_pixels(u8.to(device, torch::kUInt8, /*non_blocking=*/true));
}

torch::Tensor BatchBuffers::images(const torch::Tensor& u8, const torch::Device& device) {
  if (!device.is_cpu()) return images_to_device(u8, device);
  constexpr std::size_t kKept = 6;  // x and y of the batch in use, the one being made, and spares
  auto unused = [](const torch::Tensor& t) { return t.use_count() == 1 && t.storage().use_count() == 1; };
  for (auto& t : pool_)
    if (unused(t) && t.sizes() == u8.sizes()) return unit_from_pixels_into(t, u8);
  torch::Tensor t = images_to_device(u8, device);
  if (pool_.size() < kKept) {
    pool_.push_back(t);
  } else {
    for (auto& slot : pool_)
      if (unused(slot)) {
        slot = t;  // another shape (the last, smaller batch of an epoch) takes a free slot
        break;
      }
  }
  return t;
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
