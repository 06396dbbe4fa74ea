#pragma once
// A TorchScript module (torch.jit.save'd in Python, or written by `ganflow export`) as a
// torch::nn::Module that ganflow trains like its own: the script's parameters and buffers are
// registered under their dotted names on a tree of plain modules that mirrors the script's,
// holding the very same tensors, so the optimiser's steps, state-dict loads, checkpoints and
// device moves act on what the script computes with; train()/eval() set the script's mode.
// Its transposed convolutions run on ganflow's fast CPU path, as FastConvTranspose2d's do.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ganflow/export.hpp"

namespace torch::jit {
struct Module;
}

namespace ganflow {

class GANFLOW_API ScriptedModuleImpl : public torch::nn::Module {
 public:
  // Loads `file` onto the CPU. A missing file, a file that is not TorchScript and a module
  // without `forward` are Errors naming `node`, `param` and the file.
  ScriptedModuleImpl(const std::string& file, const std::string& node, const std::string& param);
  ~ScriptedModuleImpl() override;
  // The script's forward on `inputs`, with boolean keyword arguments `flags` (e.g. StyleGAN's
  // Inception's return_features); an Error naming the node when it fails or does not return
  // one tensor.
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs, const std::map<std::string, bool>& flags = {});
  // The same, for a forward that returns a tuple or list of tensors (e.g. features and class
  // logits): each of them; one tensor is one output. Anything else is an Error. Since ABI 3.3.
  std::vector<torch::Tensor> forward_outputs(const std::vector<torch::Tensor>& inputs,
                                             const std::map<std::string, bool>& flags = {});
  // The arguments its forward requires (self and those with defaults not counted).
  std::size_t n_inputs() const;
  // Whether its forward has an argument of this name.
  bool takes_argument(const std::string& name) const;
  void train(bool on = true) override;
  // The script as it runs: its transposed convolutions take ganflow's fast CPU path
  // (layers/conv_transpose.hpp) through the op ganflow::conv_transpose2d.
  const torch::jit::Module& script() const { return *script_; }
  // A copy with the current weights that needs no ganflow: aten's transposed convolution back.
  torch::jit::Module portable_copy() const;
  const std::string& file() const { return file_; }

 private:
  std::shared_ptr<torch::jit::Module> script_;
  std::string file_, node_;
};
TORCH_MODULE(ScriptedModule);

}  // namespace ganflow
