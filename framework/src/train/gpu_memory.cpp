#include "ganflow/framework/train/gpu_memory.hpp"

// CUDAConfig.h is generated only for CUDA builds of LibTorch (the c10/cuda headers ship in
// CPU builds too, without the library behind them).
#if __has_include(<ATen/cuda/CUDAConfig.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define GANFLOW_CUDA_ALLOCATOR_STATS 1
#endif

namespace ganflow {

std::optional<double> cuda_peak_allocated_mb(const c10::Device& device) {
#ifdef GANFLOW_CUDA_ALLOCATOR_STATS
  if (device.is_cuda()) {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    return double(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);  // [0]: StatType::AGGREGATE
  }
#endif
  (void)device;
  return std::nullopt;
}

void reset_cuda_peak(const c10::Device& device) {
#ifdef GANFLOW_CUDA_ALLOCATOR_STATS
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index() < 0 ? 0 : device.index());
#endif
  (void)device;
}

}  // namespace ganflow
