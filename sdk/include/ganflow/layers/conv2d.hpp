#pragma once
// Conv2d with CPU routes for the two critic shapes where LibTorch 1.13's oneDNN convolution is
// slow (bench/step_roofline, bench/BENCHMARKS.md):
//  - a kernel covering the whole unpadded input (a critic's last layer, 4x4 -> 1x1) is one
//    matrix product: y[n, o] = sum over (c, i, j) of x[n, c, i, j] w[o, c, i, j];
//  - with 1-2 input channels (a grey critic's first layer) and oneDNN's AVX2 kernels, the weight
//    gradient comes from unfold(x) and one matrix product (oneDNN's took 4.3 ms beside a 0.6 ms
//    forward at batch 64); its AVX-512 kernels are faster than that route (bench/conv2d_layers).
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
//   kernel == input size, no padding -> matmul; 1-2 input channels below AVX-512 -> unfold_weight_grad
//   (1.2x stock there; 0.7x stock with AVX-512 kernels); else stock.
enum class Conv2dPath { stock, matmul, unfold_weight_grad };
GANFLOW_API Conv2dPath conv2d_path(const FastConv2dImpl& module, const torch::Tensor& input);

// The routes themselves (`weight` is [out, in, kh, kw]); the bias may be undefined.
GANFLOW_API torch::Tensor conv2d_whole_input(const torch::Tensor& x, const torch::Tensor& weight,
                                             const torch::Tensor& bias);
GANFLOW_API torch::Tensor conv2d_unfold_weight_grad(const torch::Tensor& x, const torch::Tensor& weight,
                                                    const torch::Tensor& bias, torch::IntArrayRef stride,
                                                    torch::IntArrayRef padding);

}  // namespace ganflow::layers
