#pragma once
// BatchNorm2d (training statistics) and the ReLU or LeakyReLU beside it in a block, as one op
// with hand-written CPU kernels: one pass for the statistics and one for the output forward, two
// passes backward, and no intermediate tensor between the two layers. SequentialBlock runs a
// [BatchNorm2d, act] or [act, BatchNorm2d] pair through it where it applies.
#include <torch/nn/module.h>

#include <optional>

namespace ganflow::layers {

// The two layers' output for `x`, or nothing where the fused op does not apply: the fast layers
// are off (GANFLOW_STOCK_CONV=1), `first`/`second` are not a SyncableBatchNorm2d (affine, in
// training mode, not synchronised across ranks) with a ReLU or a LeakyReLU, or `x` is not a
// contiguous 4-D float CPU tensor (on bf16 ones the stock layers are faster). Updates the
// running statistics and num_batches_tracked as the BatchNorm's forward does. Differentiable
// twice: under create_graph the backward is built from torch ops.
std::optional<torch::Tensor> batch_norm_act(torch::nn::Module& first, torch::nn::Module& second, const torch::Tensor& x);

}  // namespace ganflow::layers
