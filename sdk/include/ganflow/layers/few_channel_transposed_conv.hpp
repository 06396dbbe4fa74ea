#pragma once
// A transposed convolution onto few channels, on the CPU: the forward of a ConvTranspose2d with
// 1-4 output channels (a generator's image layer) and the input gradient of a Conv2d with 1-4
// input channels (a critic's first layer). oneDNN 2.6's AVX-512 kernels compute that direction
// 1.5-5x slower than this, its AVX2 ones 1.1-1.3x (bench/few_channel_transposed_conv). Here it
// is one register-blocked product per sample, P[(b, ky, kx), (iy, ix)] = sum over a of
// w[a, b, ky, kx] g[n, a, iy, ix], each of whose values is then added at its output pixel.
// bf16 tensors (CPU autocast) are read as floats, summed in float and rounded once.
#include <ATen/core/Tensor.h>

#include "ganflow/export.hpp"

namespace ganflow::layers {

// The most output channels it takes, in fp32 and in bf16 (measured against oneDNN's kernels for
// each: bench/BENCHMARKS.md; oneDNN's bf16 kernel costs the same for 1-16 channels, this one
// grows with them).
constexpr int64_t kFewChannels = 4;
constexpr int64_t kFewChannelsBf16 = 2;

// Whether the layers use it: oneDNN's kernels are AVX-512 (conv_isa), g [N, A, H, W] (dense,
// NCHW or channels-last) and w [A, B, kh, kw] are CPU tensors, both float (B at most
// kFewChannels) or both bf16 (B at most kFewChannelsBf16).
GANFLOW_API bool few_channel_transposed_conv_applies(const at::Tensor& g, const at::Tensor& w);

// y[n, b, oy, ox] = sum of g[n, a, iy, ix] w[a, b, ky, kx] over every a, ky, kx, iy, ix with
// oy = iy stride - padding + ky dilation (likewise for x); y is [N, B, out_size[0], out_size[1]].
// groups 1; any B (the bench measures past kFewChannels); y in g's layout. Not recorded by
// autograd: the callers' autograd functions use it.
GANFLOW_API at::Tensor few_channel_transposed_conv(const at::Tensor& g, const at::Tensor& w, at::IntArrayRef stride,
                                                   at::IntArrayRef padding, at::IntArrayRef dilation,
                                                   at::IntArrayRef out_size);

}  // namespace ganflow::layers
