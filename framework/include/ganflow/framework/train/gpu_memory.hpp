#pragma once
// Peak GPU memory of the CUDA caching allocator (torch.cuda.max_memory_allocated), for the
// epoch rows. Compiles to "unknown" with a LibTorch built without CUDA (Debian's 1.13).
#include <c10/core/Device.h>

#include <optional>

namespace ganflow {

// MiB allocated at the peak since the last reset; nullopt on the CPU or without CUDA support.
std::optional<double> cuda_peak_allocated_mb(const c10::Device& device);
void reset_cuda_peak(const c10::Device& device);

}  // namespace ganflow
