#pragma once
// A model as a TorchScript module (`ganflow export`): torch.jit.load reads it in Python or C++
// with no ganflow installed. The exporter walks the torch module tree and gives every module a
// scripted class with the same parameters, buffers and children under the same names (so the
// TorchScript module's state dict is the model's) and a `forward` that computes what the C++
// forward computes. It knows LibTorch's stock layers (Sequential, Conv, ConvTranspose,
// BatchNorm, Linear, Embedding, activations, pooling, padding, PixelShuffle) and the SDK's
// (layers/); a plugin's own module says how it runs by also deriving from `Scriptable`.
#include <torch/nn/module.h>

#include <string>

#include "ganflow/export.hpp"

namespace torch::jit {
struct Module;
}

namespace ganflow {

class GANFLOW_API Scriptable {
 public:
  virtual ~Scriptable();
  // TorchScript source of the module's methods, at least `def forward(self, ...)`. The source
  // reaches the module's parameters, buffers and children as self.<name> (getattr(self, "0")
  // for numeric names), and `self.training` is the module's mode. Children are exported by
  // the same rules; call a child's as self.<child>.forward(...) (a module defined from C++ has
  // no __call__).
  virtual std::string torchscript() const = 0;
};

// A double as a TorchScript float literal that reads back as the same double.
GANFLOW_API std::string script_float(double v);

// The module as TorchScript, in the module's mode. A module the exporter cannot script (a
// Functional, an unknown type, source that does not compile) is an Error naming `node` and the
// module's path in the tree.
GANFLOW_API torch::jit::Module to_torchscript(const torch::nn::Module& module, const std::string& node);

// to_torchscript in eval mode, written to `file` atomically (a temporary file, then rename).
GANFLOW_API void save_torchscript(const torch::nn::Module& module, const std::string& file, const std::string& node);

}  // namespace ganflow
