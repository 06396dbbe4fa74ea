#pragma once
// ConvTranspose2d with a fast CPU path. On Debian's LibTorch 1.13, ConvTranspose2d on the CPU
// runs ATen's slow im2col kernel while Conv2d runs oneDNN. A transposed convolution is the
// input-gradient of a convolution with the same weight, so the CPU path computes
//   forward      = convolution_backward(input-grad; grad_output = x, weight = W)
//   input grad   = conv2d(grad_y, W)                      (same stride/padding/dilation/groups)
//   weight grad  = convolution_backward(weight-grad; input = grad_y, grad_output = x)
// and stays with the stock op where that is as fast (CUDA: cuDNN). The module IS a
// ConvTranspose2dImpl (same options, parameters, init and state-dict names). Under CPU
// autocast the fast path casts like the stock op (bf16 in, bf16 out, fp32 parameter grads);
// channels-last inputs stay channels-last.
#include <torch/nn/modules/conv.h>

#include "ganflow/export.hpp"

namespace ganflow::layers {

class GANFLOW_API FastConvTranspose2dImpl : public torch::nn::ConvTranspose2dImpl {
 public:
  using torch::nn::ConvTranspose2dImpl::ConvTranspose2dImpl;
  torch::Tensor forward(const torch::Tensor& input);
};
TORCH_MODULE(FastConvTranspose2d);

// The rule: the fast path on CPU tensors with more than 2 output channels per group when
// oneDNN is usable (measured: bench/conv_transpose_layers), the stock op otherwise.
// GANFLOW_STOCK_CONV_TRANSPOSE=1 in the environment (or set_fast_conv_transpose(false))
// forces the stock op everywhere (benchmarks compare both).
GANFLOW_API bool fast_conv_transpose_enabled();
GANFLOW_API void set_fast_conv_transpose(bool on);

// The fast path itself (CPU), as an autograd function; `weight` is [in, out/groups, kh, kw].
GANFLOW_API torch::Tensor conv_transpose2d_via_conv(const torch::Tensor& x, const torch::Tensor& weight,
                                                    const torch::Tensor& bias, torch::IntArrayRef stride,
                                                    torch::IntArrayRef padding, torch::IntArrayRef output_padding,
                                                    int64_t groups, torch::IntArrayRef dilation);

}  // namespace ganflow::layers
