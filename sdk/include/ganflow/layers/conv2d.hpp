#pragma once
// Conv2d with CPU routes for the two critic shapes where LibTorch 1.13's oneDNN convolution is
// slow (bench/step_roofline, bench/BENCHMARKS.md):
//  - a kernel covering the whole unpadded input (a critic's last layer, 4x4 -> 1x1) is one
//    matrix product: y[n, o] = sum over (c, i, j) of x[n, c, i, j] w[o, c, i, j];
//  - few input channels (an image critic's first layer): with oneDNN's AVX-512 kernels (1-4
//    channels) the input gradient is few_channel_transposed_conv (1.5-5x oneDNN's); with its
//    AVX2 kernels (1-2 channels) the weight gradient comes from unfold(x) and one matrix product
//    (oneDNN's took 4.3 ms beside a 0.6 ms forward at batch 64).
// Everything else, and everything with the fast paths off (fast_conv.hpp), is the stock op.
// The module IS a Conv2dImpl (same options, parameters, init and state-dict names).
#include <torch/nn/modules/conv.h>

#include "ganflow/export.hpp"
#include "ganflow/layers/fast_conv.hpp"

namespace ganflow::layers {

class GANFLOW_API FastConv2dImpl : public torch::nn::Conv2dImpl {
 public:
  using torch::nn::Conv2dImpl::Conv2dImpl;
  torch::Tensor forward(const torch::Tensor& input);
};
TORCH_MODULE(FastConv2d);

// The rule, on CPU tensors when the fast paths apply, zero (or no) numeric padding, groups 1 and dilation 1:
//   kernel == input size, no padding -> matmul; with AVX-512 kernels, 1-4 input channels ->
//   few_input_channels; below AVX-512, 1-2 input channels -> unfold_weight_grad (1.2x stock
//   there; 0.7x stock with AVX-512 kernels); else stock.
enum class Conv2dPath { stock, matmul, unfold_weight_grad, few_input_channels };
GANFLOW_API Conv2dPath conv2d_path(const FastConv2dImpl& module, const torch::Tensor& input);

// The routes themselves (`weight` is [out, in, kh, kw]); the bias may be undefined.
GANFLOW_API torch::Tensor conv2d_whole_input(const torch::Tensor& x, const torch::Tensor& weight,
                                             const torch::Tensor& bias);
// The few-channel route as an autograd function: the forward through oneDNN, the input gradient
// from few_channel_transposed_conv where that applies, the weight gradient as `weight_grad` says.
GANFLOW_API torch::Tensor conv2d_few_input_channels(const torch::Tensor& x, const torch::Tensor& weight,
                                                    const torch::Tensor& bias, torch::IntArrayRef stride,
                                                    torch::IntArrayRef padding, WeightGrad weight_grad);

}  // namespace ganflow::layers
