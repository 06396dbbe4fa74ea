#include "ganflow/layers/conditional_batch_norm.hpp"

#include <torch/torch.h>

namespace ganflow::layers {

ConditionalBatchNorm2dImpl::ConditionalBatchNorm2dImpl(int64_t nf, int64_t d) : num_features(nf), cond_dim(d) {
  reset();
}

void ConditionalBatchNorm2dImpl::reset() {
  bn = register_module("bn", SyncableBatchNorm2d(num_features, /*affine=*/false));
  gain = register_parameter("gain", torch::zeros({num_features, cond_dim}));
  bias = register_parameter("bias", torch::zeros({num_features, cond_dim}));
}

void ConditionalBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "ganflow::layers::ConditionalBatchNorm2d(" << num_features << ", cond_dim=" << cond_dim << ")";
}

torch::Tensor ConditionalBatchNorm2dImpl::forward(const torch::Tensor& x, const torch::Tensor& cond) {
  const auto per_image = [&](const torch::Tensor& w) {
    return torch::nn::functional::linear(cond.to(w.scalar_type()), w).view({x.size(0), num_features, 1, 1}).to(
        x.scalar_type());
  };
  return bn->forward(x) * (1 + per_image(gain)) + per_image(bias);
}

}  // namespace ganflow::layers
