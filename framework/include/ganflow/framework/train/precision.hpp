#pragma once
// Numeric precision and memory layout of a training stage: the `precision` (fp32 | bf16 |
// fp16, autocast) and `channels_last` params, their check against the device, and the layout
// conversions of models and batches.
#include <torch/nn/module.h>

#include <optional>

#include "ganflow/fields.hpp"
#include "ganflow/cpu_isa.hpp"

namespace ganflow {

struct PrecisionSettings {
  std::string precision = "fp32";  // fp32 | bf16 | fp16 | auto
  std::string channels_last = "auto";  // true | false | auto
};

// What `precision: auto` runs on a device, and why (logged by the stage).
struct PrecisionChoice {
  std::string precision;  // fp32 | bf16
  std::string reason;
};
// bf16 on a CPU with AMX-BF16 or AVX512-BF16 (native bf16 dot products: measured 1.5-1.7x fp32
// for the default DCGAN on an AVX512-BF16 EPYC) and on a CUDA device whose cuDNN runs bf16
// convolutions; fp32 elsewhere, where bf16 is emulated and slower.
PrecisionChoice choose_precision(const torch::Device& device, const CpuIsa& isa, bool cuda_bf16);
// The same for this machine.
PrecisionChoice choose_precision(const torch::Device& device);

// What `channels_last` runs on a device, and why (logged by the stage under auto).
struct LayoutChoice {
  bool channels_last;
  std::string reason;
};
// auto: channels-last for fp32 on the CPU where oneDNN runs its AVX-512 kernels
// (`avx512_kernels`: layers::conv_isa()), which then skip the reorders to and from their blocked
// layout (1.01-1.16x the default DCGAN on an AVX-512 EPYC, bench/BENCHMARKS.md "Channels-last
// on the CPU"); NCHW elsewhere: no gain measured in bf16 or with AVX2 kernels, and none measured
// yet on AMX or CUDA. `autocast`: the stage's autocast dtype.
LayoutChoice choose_layout(const std::string& channels_last, const torch::Device& device,
                           std::optional<at::ScalarType> autocast, bool avx512_kernels);

// Declares precision and channels_last on a stage spec.
Fields<PrecisionSettings> precision_fields(NodeSpec& spec);

// The autocast dtype of `precision` (fp32, bf16 or fp16; auto resolved by choose_precision
// first) on `device`: nullopt for fp32. fp16 on a CPU is an Error naming `node` and the param:
// LibTorch's CPU autocast has no fp16.
std::optional<at::ScalarType> autocast_dtype_for(const std::string& precision, const torch::Device& device,
                                                 const std::string& node);

// A 4-D batch channels-last when the stage runs so (other tensors pass).
torch::Tensor in_layout(const torch::Tensor& t, bool channels_last);

}  // namespace ganflow
