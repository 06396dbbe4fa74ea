#include "ganflow/layers/self_attention.hpp"

#include <torch/torch.h>

#include "ganflow/error.hpp"
#include "ganflow/layers/conv_layer.hpp"

namespace ganflow::layers {

namespace {
SpectralNormConv conv1x1(int64_t ni, int64_t no) {
  torch::nn::Conv1d c(torch::nn::Conv1dOptions(ni, no, 1).bias(false));
  init_kaiming_normal_zero_bias(*c);  // fastai v1 conv1d
  return SpectralNormConv(c);
}
}  // namespace

SelfAttentionImpl::SelfAttentionImpl(int64_t n_channels) {
  if (n_channels < 8) throw Error("SelfAttention needs at least 8 channels (query/key have C/8), got " +
                                  std::to_string(n_channels));
  // Draw order as fastai's __init__: query, key, value.
  query = register_module("query", conv1x1(n_channels, n_channels / 8));
  key = register_module("key", conv1x1(n_channels, n_channels / 8));
  value = register_module("value", conv1x1(n_channels, n_channels));
  gamma = register_parameter("gamma", torch::zeros({1}));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  auto size = x.sizes().vec();
  torch::Tensor flat = x.reshape({size[0], size[1], -1});
  torch::Tensor f = query(flat), g = key(flat), h = value(flat);
  torch::Tensor beta = torch::softmax(torch::bmm(f.transpose(1, 2), g), 1);
  torch::Tensor o = gamma * torch::bmm(h, beta) + flat;
  return o.view(size).contiguous();
}

}  // namespace ganflow::layers
