#pragma once
// Channels-last (NHWC) layout that oneDNN recognises. contiguous(ChannelsLast) keeps the strides
// of a tensor that is channels-last contiguous already, and a tensor with one channel (or a 1x1
// image) is that whatever its strides; but oneDNN and LibTorch pick a convolution's layout from
// the strides (suggest_memory_format), so a 1-channel weight left NCHW-strided makes a
// channels-last network's first convolution produce NCHW output, and every layer after it
// converts back (bench/BENCHMARKS.md, "Channels-last").
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "ganflow/export.hpp"

namespace ganflow::layers {

// A 4-D tensor with channels-last strides written out (a copy unless it has them already).
GANFLOW_API at::Tensor channels_last_strided(const at::Tensor& t);

// Every 4-D parameter and buffer of `m` (and its children) to channels_last_strided, in place
// (the same tensors: optimisers keep them).
GANFLOW_API void to_channels_last(torch::nn::Module& m);

}  // namespace ganflow::layers
