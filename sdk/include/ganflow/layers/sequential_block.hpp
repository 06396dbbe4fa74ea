#pragma once
// A Sequential that can sit inside another Sequential. LibTorch's AnyModule cannot hold
// nn::Sequential (its forward is a template), so blocks use this subclass with a plain
// Tensor -> Tensor forward; state-dict keys stay those of a nested nn.Sequential in PyTorch.
#include <torch/nn/modules/container/sequential.h>

namespace ganflow::layers {

class SequentialBlockImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(SequentialBlock);

}  // namespace ganflow::layers
