#pragma once
// fastai's SelfAttention (SAGAN), v1 layout: query/key are spectral-normed, bias-free 1x1
// conv1d C -> C/8, value C -> C (kaiming_normal_ init); gamma starts at 0, so the layer is
// the identity at init. x [B,C,H,W] -> view [B,C,N]; beta = softmax(f^T g, dim=1) (over the
// FIRST N axis, as fastai); out = gamma * h beta + x. Keys: query.weight_orig, ..., gamma.
#include <torch/nn/module.h>

#include "ganflow/export.hpp"
#include "ganflow/layers/spectral_norm.hpp"

namespace ganflow::layers {

class GANFLOW_API SelfAttentionImpl : public torch::nn::Module {
 public:
  explicit SelfAttentionImpl(int64_t n_channels);
  torch::Tensor forward(const torch::Tensor& x);

  SpectralNormConv query{nullptr}, key{nullptr}, value{nullptr};
  torch::Tensor gamma;
};
TORCH_MODULE(SelfAttention);

}  // namespace ganflow::layers
