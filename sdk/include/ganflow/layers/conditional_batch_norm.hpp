#pragma once
// Conditional BatchNorm (de Vries et al. 2017; BigGAN's cBN): each image is normalised as by
// BatchNorm without an affine of its own, then scaled by (1 + W_gain c) and shifted by W_bias c,
// where c is the image's condition vector (BigGAN: a class embedding the generator shares
// between its layers). Both maps start at zero, so an untrained layer is plain BatchNorm. Linear
// maps of a shared embedding rather than per-class tables: every weight is trained by every
// class, so the classes separate within hundreds of steps, not thousands. The statistics follow
// a stage's sync_bn like the shared layers' BatchNorm (its buffers are under "bn.").
#include <torch/nn/cloneable.h>

#include "ganflow/export.hpp"
#include "ganflow/layers/batch_norm.hpp"

namespace ganflow::layers {

class GANFLOW_API ConditionalBatchNorm2dImpl : public torch::nn::Cloneable<ConditionalBatchNorm2dImpl> {
 public:
  ConditionalBatchNorm2dImpl(int64_t num_features, int64_t cond_dim);
  void reset() override;
  // x [bs, num_features, H, W]; cond [bs, cond_dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond);
  void pretty_print(std::ostream& stream) const override;

  int64_t num_features, cond_dim;
  SyncableBatchNorm2d bn{nullptr};
  torch::Tensor gain, bias;  // [num_features, cond_dim], as torch::nn::Linear weights
};
TORCH_MODULE(ConditionalBatchNorm2d);

}  // namespace ganflow::layers
