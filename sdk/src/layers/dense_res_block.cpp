#include "ganflow/layers/dense_res_block.hpp"

#include <torch/torch.h>

#include "ganflow/layers/spectral_norm.hpp"

namespace ganflow::layers {

DenseResBlockImpl::DenseResBlockImpl(int64_t nf, double slope) {
  SequentialBlock seq;
  for (int i = 0; i < 2; ++i) {
    SpectralConvOptions o(nf, nf);
    o.slope = slope;
    seq->push_back(spectral_conv_layer(o));
  }
  layers = register_module("layers", seq);
}

torch::Tensor DenseResBlockImpl::forward(const torch::Tensor& x) { return torch::cat({layers(x), x}, 1); }

}  // namespace ganflow::layers
