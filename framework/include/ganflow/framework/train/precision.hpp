#pragma once
// Numeric precision and memory layout of a training stage: the `precision` (fp32 | bf16 |
// fp16, autocast) and `channels_last` params, their check against the device, and the layout
// conversions of models and batches.
#include <torch/nn/module.h>

#include <optional>

#include "ganflow/fields.hpp"

namespace ganflow {

struct PrecisionSettings {
  std::string precision = "fp32";  // fp32 | bf16 | fp16
  bool channels_last = false;
};

// Declares precision and channels_last on a stage spec.
Fields<PrecisionSettings> precision_fields(NodeSpec& spec);

// The autocast dtype on `device` (nullopt for fp32). fp16 on a CPU is an Error naming
// `node` and the param: LibTorch's CPU autocast has no fp16.
std::optional<at::ScalarType> autocast_dtype_for(const PrecisionSettings& s, const torch::Device& device,
                                                 const std::string& node);

// 4-D parameters and buffers to channels-last, in place (same tensors: optimisers keep them).
void to_channels_last(torch::nn::Module& m);
// A 4-D batch in the stage's layout (other tensors pass).
torch::Tensor in_layout(const torch::Tensor& t, const PrecisionSettings& s);

}  // namespace ganflow
