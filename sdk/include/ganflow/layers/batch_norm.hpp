#pragma once
// The BatchNorm2d of the shared layers (conv_layer). It computes what torch's does, unless a
// data-parallel run asks for statistics over every rank's batch (a training stage's `sync_bn`):
// then training batches are normalised with the mean and variance of all ranks' batches
// together, forward and backward, as torch's SyncBatchNorm (BigGAN's and StudioGAN's sync BN).
// Its parameters and buffers are torch::nn::BatchNorm2d's, by name and order, so state dicts
// do not change. (Not derived from BatchNorm2dImpl: libtorch does not export the base-class
// symbols a derived vtable needs.)
#include <torch/nn/cloneable.h>

#include <functional>

#include "ganflow/export.hpp"

namespace ganflow::layers {

// Sums a small tensor over every rank, in place. The framework installs one while a sync_bn
// stage trains; empty (the default): each process normalises with its own batch.
using RankSum = std::function<void(torch::Tensor&)>;
GANFLOW_API void set_batch_norm_rank_sum(RankSum sum);
// Whether one is installed (training batches are then normalised over every rank's batch).
GANFLOW_API bool batch_norm_syncs_ranks();

class GANFLOW_API SyncableBatchNorm2dImpl : public torch::nn::Cloneable<SyncableBatchNorm2dImpl> {
 public:
  // torch's defaults: eps 1e-5, momentum 0.1, running statistics; affine unless asked (no
  // weight and bias then, as torch's affine=False).
  explicit SyncableBatchNorm2dImpl(int64_t num_features, bool affine = true);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  int64_t num_features;
  bool affine;
  double eps = 1e-5, momentum = 0.1;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};
TORCH_MODULE(SyncableBatchNorm2d);

}  // namespace ganflow::layers
