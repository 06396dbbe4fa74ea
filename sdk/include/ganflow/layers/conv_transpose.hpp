#pragma once
// ConvTranspose2d with a fast CPU path. On Debian's LibTorch 1.13, ConvTranspose2d on the CPU
// runs ATen's slow im2col kernel while Conv2d runs oneDNN. A transposed convolution is the
// input-gradient of a convolution with the same weight, so the CPU path computes
//   forward      = convolution_backward(input-grad; grad_output = x, weight = W)
//   input grad   = conv2d(grad_y, W)                      (same stride/padding/dilation/groups)
//   weight grad  = convolution_backward(weight-grad; input = grad_y, grad_output = x)
// and stays with the stock op where that is as fast (CUDA: cuDNN). Two shapes take cheaper
// routes: a 1x1 input (a generator's first layer, noise -> 4x4) is a matrix product, and with
// 1-2 output channels (a grey generator's last layer) oneDNN's AVX2 weight gradient is slow, so
// there it comes from unfold + matrix product instead. Where oneDNN's kernels are AVX-512, the
// forward onto 1-4 output channels (groups 1) is few_channel_transposed_conv, 1.5-5x oneDNN's
// input gradient there. The module IS a
// ConvTranspose2dImpl (same options, parameters, init and state-dict names). Under CPU
// autocast the fast path casts like the stock op (bf16 in, bf16 out, fp32 parameter grads);
// channels-last inputs stay channels-last.
#include <torch/nn/modules/conv.h>

#include "ganflow/export.hpp"
#include "ganflow/layers/fast_conv.hpp"

namespace ganflow::layers {

class GANFLOW_API FastConvTranspose2dImpl : public torch::nn::ConvTranspose2dImpl {
 public:
  using torch::nn::ConvTranspose2dImpl::ConvTranspose2dImpl;
  torch::Tensor forward(const torch::Tensor& input);
};
TORCH_MODULE(FastConvTranspose2d);

// The rule (measured per ISA: bench/conv_transpose_layers, bench/BENCHMARKS.md), on CPU tensors
// when oneDNN is usable, the fast paths are on (fast_conv.hpp) and output_padding < stride, else stock:
//   1x1 input, no padding, dilation, output_padding or groups -> matmul (3x the oneDNN path);
//   more than 2 output channels per group -> via_conv (2-5x stock on the big layers);
//   1-2 output channels, groups 1 -> via_conv where oneDNN's kernels are AVX-512 (1.2-2x stock,
//   1.4x the unfold route), via_conv with the unfold weight gradient below that (1.3x via_conv:
//   oneDNN's AVX2 weight gradient is slow there); otherwise stock.
enum class ConvTransposePath { stock, matmul, via_conv, via_conv_unfold_weight_grad };
GANFLOW_API ConvTransposePath conv_transpose_path(const FastConvTranspose2dImpl& module, const torch::Tensor& input);
// The same rule for torch::conv_transpose2d's arguments (zero padding mode).
GANFLOW_API ConvTransposePath conv_transpose_path(const torch::Tensor& input, const torch::Tensor& weight,
                                                  torch::IntArrayRef stride, torch::IntArrayRef padding,
                                                  torch::IntArrayRef output_padding, int64_t groups,
                                                  torch::IntArrayRef dilation);
// torch::conv_transpose2d through the path the rule picks. Registered as the TorchScript op
// ganflow::conv_transpose2d, which ScriptedModule puts in place of aten::conv_transpose2d.
GANFLOW_API torch::Tensor fast_conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight,
                                                const torch::Tensor& bias, torch::IntArrayRef stride,
                                                torch::IntArrayRef padding, torch::IntArrayRef output_padding,
                                                int64_t groups, torch::IntArrayRef dilation);


// The fast path itself (CPU), as an autograd function; `weight` is [in, out/groups, kh, kw].
// WeightGrad::unfold (unfold(grad_y) and one matrix product) needs groups 1 and output_padding < stride.
GANFLOW_API torch::Tensor conv_transpose2d_via_conv(const torch::Tensor& x, const torch::Tensor& weight,
                                                    const torch::Tensor& bias, torch::IntArrayRef stride,
                                                    torch::IntArrayRef padding, torch::IntArrayRef output_padding,
                                                    int64_t groups, torch::IntArrayRef dilation,
                                                    WeightGrad weight_grad = WeightGrad::convolution);

// A transposed convolution of a 1x1 input (no padding, dilation, output_padding or groups)
// as one matrix product: y[n, o, i, j] = sum_c x[n, c] w[c, o, i, j]. Plain autograd ops.
GANFLOW_API torch::Tensor conv_transpose2d_1x1_input(const torch::Tensor& x, const torch::Tensor& weight,
                                                     const torch::Tensor& bias);

}  // namespace ganflow::layers
