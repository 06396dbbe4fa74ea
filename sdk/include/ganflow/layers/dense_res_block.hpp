#pragma once
// fastai res_block(nf, dense=True, leaky=0.2, norm_type=Spectral) / DenseResBlock: two
// spectral-normed 3x3 conv + LeakyReLU(0.2) blocks, then MergeLayer(dense=True):
// out = cat([layers(x), x], dim=1), so nf channels in, 2*nf out. Keys: layers.0.0.weight_orig...
#include <torch/nn/module.h>

#include "ganflow/export.hpp"
#include "ganflow/layers/sequential_block.hpp"

namespace ganflow::layers {

class GANFLOW_API DenseResBlockImpl : public torch::nn::Module {
 public:
  explicit DenseResBlockImpl(int64_t nf, double slope = 0.2);
  torch::Tensor forward(const torch::Tensor& x);

  SequentialBlock layers{nullptr};
};
TORCH_MODULE(DenseResBlock);

}  // namespace ganflow::layers
