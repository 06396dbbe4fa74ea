#pragma once
// The switch for ganflow's fast CPU convolution paths (FastConvTranspose2d, FastConv2d).
// GANFLOW_STOCK_CONV=1 in the environment, or set_fast_conv(false), forces the stock LibTorch
// ops everywhere (the benchmarks compare both).
#include <ATen/core/Tensor.h>

#include "ganflow/export.hpp"

namespace ganflow::layers {

GANFLOW_API bool fast_conv_enabled();
GANFLOW_API void set_fast_conv(bool on);

// Whether a module may take a fast path for this input: the switch is on, the input is a 4-D
// CPU tensor and oneDNN is usable.
GANFLOW_API bool fast_conv_applies(const at::Tensor& input);

}  // namespace ganflow::layers
