#include "ganflow/layers/spectral_norm.hpp"

#include <torch/torch.h>

#include "ganflow/error.hpp"
#include "ganflow/layers/conv_layer.hpp"
#include "options_variant.hpp"

namespace ganflow::layers {

namespace {
namespace F = torch::nn::functional;

torch::Tensor normalize(const torch::Tensor& x, double eps) { return x / x.norm().clamp_min(eps); }

template <std::size_t D> std::vector<int64_t> vec(const torch::ExpandingArray<D>& a) { return torch::IntArrayRef(a).vec(); }
}  // namespace

SpectralNormConvImpl::SpectralNormConvImpl(const torch::nn::Conv1d& conv) {
  const auto& o = conv->options;
  if (!detail::option_if<torch::ExpandingArray<1>>(o.padding()))
    throw Error("spectral_norm: string padding modes are not supported");
  dims_ = 1;
  stride_ = vec(o.stride()), dilation_ = vec(o.dilation()), groups_ = o.groups();
  padding_ = vec(detail::option_get<torch::ExpandingArray<1>>(o.padding()));
  adopt(conv->weight, conv->bias);
}

SpectralNormConvImpl::SpectralNormConvImpl(const torch::nn::Conv2d& conv) {
  const auto& o = conv->options;
  if (!detail::option_if<torch::ExpandingArray<2>>(o.padding()))
    throw Error("spectral_norm: string padding modes are not supported");
  dims_ = 2;
  stride_ = vec(o.stride()), dilation_ = vec(o.dilation()), groups_ = o.groups();
  padding_ = vec(detail::option_get<torch::ExpandingArray<2>>(o.padding()));
  adopt(conv->weight, conv->bias);
}

void SpectralNormConvImpl::adopt(const torch::Tensor& weight, const torch::Tensor& bias_in) {
  torch::NoGradGuard ng;
  // Registration order as PyTorch leaves it: bias, weight_orig; then buffers u, v.
  if (bias_in.defined()) bias = register_parameter("bias", bias_in.detach().clone());
  weight_orig = register_parameter("weight_orig", weight.detach().clone());
  const int64_t h = weight.size(0), w = weight.numel() / h;
  weight_u = register_buffer("weight_u", normalize(torch::empty({h}, weight.options()).normal_(0, 1), eps));
  weight_v = register_buffer("weight_v", normalize(torch::empty({w}, weight.options()).normal_(0, 1), eps));
}

torch::Tensor SpectralNormConvImpl::normalized_weight(bool power_iteration) {
  torch::Tensor mat = weight_orig.reshape({weight_orig.size(0), -1});
  torch::Tensor u = weight_u, v = weight_v;
  if (power_iteration) {
    torch::NoGradGuard ng;
    weight_v.copy_(normalize(torch::mv(mat.t(), weight_u), eps));
    weight_u.copy_(normalize(torch::mv(mat, weight_v), eps));
    // Clones: the in-place update of the next forward must not touch what autograd saved.
    u = weight_u.clone(), v = weight_v.clone();
  }
  torch::Tensor sigma = torch::dot(u, torch::mv(mat, v));
  return weight_orig / sigma;
}

torch::Tensor SpectralNormConvImpl::forward(const torch::Tensor& x) {
  torch::Tensor w = normalized_weight(is_training());
  torch::Tensor b = bias.defined() ? bias : torch::Tensor();
  if (dims_ == 1) return torch::conv1d(x, w, b, stride_, padding_, dilation_, groups_);
  return torch::conv2d(x, w, b, stride_, padding_, dilation_, groups_);
}

SequentialBlock spectral_conv_layer(const SpectralConvOptions& o) {
  const int64_t padding = o.padding < 0 ? (o.ks - 1) / 2 : o.padding;
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(o.ni, o.nf, o.ks).stride(o.stride).padding(padding).bias(o.bias));
  init_kaiming_normal_zero_bias(*conv);
  SequentialBlock seq;
  seq->push_back(SpectralNormConv(conv));
  if (o.activation) seq->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(o.slope)));
  return seq;
}

}  // namespace ganflow::layers
