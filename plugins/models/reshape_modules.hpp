#pragma once
// The reshapes inside the model networks, as modules rather than Functionals so that the
// networks export to TorchScript (ganflow/torchscript.hpp).
#include <ganflow/torchscript.hpp>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace ganflow_models {

// fastai v2's AddChannels(2): [bs, n] -> [bs, n, 1, 1]; a 4-D input passes unchanged.
class AddUnitDimsImpl : public torch::nn::Module, public ganflow::Scriptable {
 public:
  static torch::Tensor apply(const torch::Tensor& x) { return x.dim() == 2 ? x.view({x.size(0), x.size(1), 1, 1}) : x; }
  torch::Tensor forward(const torch::Tensor& x) { return apply(x); }
  std::string torchscript() const override {
    return "def forward(self, x: Tensor) -> Tensor:\n"
           "    if x.dim() == 2:\n        return x.view(x.size(0), x.size(1), 1, 1)\n    return x\n";
  }
};
TORCH_MODULE(AddUnitDims);

// fastai v1's AvgFlatten: the batch's mean score, [1].
class BatchMeanImpl : public torch::nn::Module, public ganflow::Scriptable {
 public:
  torch::Tensor forward(const torch::Tensor& x) { return x.mean(0).view({1}); }
  std::string torchscript() const override {
    return "def forward(self, x: Tensor) -> Tensor:\n    return x.mean(0).view(1)\n";
  }
};
TORCH_MODULE(BatchMean);

}  // namespace ganflow_models
