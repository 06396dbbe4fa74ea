#pragma once
// Host uint8 batches onto the training device: copied as uint8 (4x fewer bytes), non_blocking
// from pinned memory, then scaled to float [-1, 1] on the device.
#include <memory>
#include <vector>

#include <c10/core/Event.h>
#include <torch/types.h>

namespace ganflow {

// uint8 [N, C, H, W] -> float (x / 127.5) - 1 on `device`; never aliases `u8`.
torch::Tensor images_to_device(const torch::Tensor& u8, const torch::Device& device);

// images_to_device into float batches that are reused once nothing else holds them. On the CPU a
// batch over glibc's largest heap block (32 MiB: 43 RGB images of 256x256 in float) is otherwise
// mapped fresh and page-faulted in at every step, which costs more than decoding its PNGs
// (bench/BENCHMARKS.md, "Data loader"). A buffer is reused only when no tensor or view but the
// pool's own refers to it; elsewhere (CUDA: the caching allocator) it is images_to_device.
class BatchBuffers {
 public:
  torch::Tensor images(const torch::Tensor& u8, const torch::Device& device);

 private:
  std::vector<torch::Tensor> pool_;
};

// int64 labels onto `device`; never aliases `labels`.
torch::Tensor labels_to_device(const torch::Tensor& labels, const torch::Device& device);

// Marks the copies queued so far; wait() returns once they are done, after which the pinned
// host memory may be refilled. A no-op on the CPU, where the copies are synchronous.
class CopyFence {
 public:
  void record(const torch::Device& device);
  void wait();

 private:
  std::unique_ptr<c10::Event> event_;
};

}  // namespace ganflow
