#pragma once
// The switch for ganflow's fast CPU layer paths (FastConvTranspose2d, FastConv2d, and the fused
// BatchNorm + activation of SequentialBlock). GANFLOW_STOCK_CONV=1 in the environment, or
// set_fast_conv(false), forces the stock LibTorch ops everywhere (the benchmarks compare both).
#include <ATen/core/Tensor.h>

#include "ganflow/export.hpp"

namespace ganflow::layers {

GANFLOW_API bool fast_conv_enabled();
GANFLOW_API void set_fast_conv(bool on);

// Whether a module may take a fast path for this input: the switch is on, the input is a 4-D
// CPU tensor and oneDNN is usable.
GANFLOW_API bool fast_conv_applies(const at::Tensor& input);

// The vector width of oneDNN's convolution kernels here, which some of the rules depend on
// (measured per ISA: bench/conv_transpose_layers, bench/conv2d_layers): avx512 where the CPU
// has avx512_core and ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA do not cap oneDNN below it.
enum class ConvIsa { avx2_or_less, avx512 };
GANFLOW_API ConvIsa conv_isa();
// Makes the rules follow `isa` in this process (tests: each ISA's paths on any machine).
GANFLOW_API void set_conv_isa(ConvIsa isa);

// How a fast path computes the weight gradient: the convolution primitive (oneDNN), or unfold
// and one matrix product (faster with oneDNN's AVX2 kernels for 1-2 image channels).
enum class WeightGrad { convolution, unfold };

}  // namespace ganflow::layers
