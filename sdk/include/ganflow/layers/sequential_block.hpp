#pragma once
// A Sequential that can sit inside another Sequential. LibTorch's AnyModule cannot hold
// nn::Sequential (its forward is a template), so blocks use this subclass with a plain
// Tensor -> Tensor forward; state-dict keys stay those of a nested nn.Sequential in PyTorch.
// Its forward runs a training BatchNorm2d and the ReLU / LeakyReLU beside it (in either order)
// as one fused CPU op where that applies (sdk/src/layers/batch_norm_act.hpp), each other module
// as Sequential does.
#include <torch/nn/modules/container/sequential.h>

#include "ganflow/export.hpp"

namespace ganflow::layers {

class SequentialBlockImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  GANFLOW_API torch::Tensor forward(torch::Tensor x);
};
TORCH_MODULE(SequentialBlock);

}  // namespace ganflow::layers
