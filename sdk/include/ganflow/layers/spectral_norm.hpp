#pragma once
// torch.nn.utils.spectral_norm for a Conv1d/Conv2d, which LibTorch's C++ API lacks. The conv's
// weight becomes the parameter `weight_orig`; buffers `weight_u`, `weight_v` hold the power
// iteration's vectors (state-dict keys as PyTorch's: weight_orig, bias, weight_u, weight_v).
// forward uses weight_orig / sigma with sigma = u . (W v), W = weight_orig viewed [out, -1]:
//   training: first one power iteration under no-grad, updating u and v in place
//             (v = normalize(W^T u), u = normalize(W v), eps 1e-12);
//   eval:     the stored u and v, unchanged.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include "ganflow/export.hpp"
#include "ganflow/layers/sequential_block.hpp"

#include <vector>

namespace ganflow::layers {

class GANFLOW_API SpectralNormConvImpl : public torch::nn::Module {
 public:
  // Wraps an initialised conv: takes its weight and bias; u and v start as normalised N(0, 1)
  // draws from torch's generator (PyTorch draws u then v the same way).
  explicit SpectralNormConvImpl(const torch::nn::Conv1d& conv);
  explicit SpectralNormConvImpl(const torch::nn::Conv2d& conv);
  torch::Tensor forward(const torch::Tensor& x);
  // weight_orig / sigma, running the power iteration first when `power_iteration`.
  torch::Tensor normalized_weight(bool power_iteration);

  torch::Tensor weight_orig, bias, weight_u, weight_v;
  double eps = 1e-12;
  // The wrapped convolution's geometry (the TorchScript exporter writes it out).
  int dims() const { return dims_; }
  const std::vector<int64_t>& stride() const { return stride_; }
  const std::vector<int64_t>& padding() const { return padding_; }
  const std::vector<int64_t>& dilation() const { return dilation_; }
  int64_t groups() const { return groups_; }

 private:
  void adopt(const torch::Tensor& weight, const torch::Tensor& bias_in);
  int dims_ = 2;
  std::vector<int64_t> stride_, padding_, dilation_;
  int64_t groups_ = 1;
};
TORCH_MODULE(SpectralNormConv);

// fastai v1 conv_layer(..., norm_type=Spectral, leaky=slope): Conv2d (kaiming_normal_, bias 0)
// wrapped in spectral norm, then LeakyReLU unless `activation` is false. Keys "0.weight_orig"...
struct SpectralConvOptions {
  SpectralConvOptions(int64_t ni_, int64_t nf_) : ni(ni_), nf(nf_) {}
  int64_t ni, nf, ks = 3, stride = 1;
  int64_t padding = -1;  // -1: (ks-1)/2
  bool bias = true;      // no BatchNorm, so fastai keeps the bias
  bool activation = true;
  double slope = 0.2;
  SpectralConvOptions& kernel(int64_t v) { ks = v; return *this; }
  SpectralConvOptions& with_stride(int64_t v) { stride = v; return *this; }
  SpectralConvOptions& with_padding(int64_t v) { padding = v; return *this; }
  SpectralConvOptions& with_bias(bool v) { bias = v; return *this; }
  SpectralConvOptions& with_activation(bool v) { activation = v; return *this; }
};
GANFLOW_API SequentialBlock spectral_conv_layer(const SpectralConvOptions& o);

}  // namespace ganflow::layers
