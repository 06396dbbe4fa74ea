#pragma once
// State dicts and checkpoint files. Files are torch pickles (torch::pickle_save), so Python's
// torch.load reads them; checkpoints are written atomically (temporary file, fsync, rename)
// and the previous one is kept.
#include <ATen/core/Dict.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <string>

#include "ganflow/params.hpp"

namespace ganflow {

using StateDict = c10::Dict<std::string, torch::Tensor>;

StateDict state_dict(const torch::nn::Module& m);  // parameters and buffers, dotted names, on the CPU
// Copies `sd` into `m`; an Error names the first missing or mismatching entry.
void load_state_dict(torch::nn::Module& m, const StateDict& sd, const std::string& what);

torch::Tensor optimizer_state(torch::optim::Optimizer& opt);  // serialised bytes (uint8)
void load_optimizer_state(torch::optim::Optimizer& opt, const torch::Tensor& bytes);

torch::Tensor cpu_rng_state();
void set_cpu_rng_state(const torch::Tensor& state);

// Writes `value` to `path` atomically; an existing `path` is first kept as `<path>.prev`.
void save_pickle_atomically(const c10::IValue& value, const std::string& path);
// Reads a pickle; an Error names the file when it is missing, truncated or corrupt.
c10::IValue load_pickle(const std::string& path);

// One checkpoint's contents: a JSON header ("meta") and named entries (state dicts, optimiser
// bytes, tensors). Reading an entry that is not there is an Error naming the file.
class Checkpoint {
 public:
  json meta = json::object();
  void put(const std::string& key, c10::IValue value);
  void put_tensor(const std::string& key, const torch::Tensor& t);  // on the CPU; undefined kept as empty
  const c10::IValue& at(const std::string& key) const;
  StateDict state(const std::string& key) const;
  torch::Tensor tensor(const std::string& key, const torch::Device& dev) const;  // empty -> undefined
  const std::string& path() const { return path_; }
  void save(const std::string& path) const;  // atomically, as save_pickle_atomically
  static Checkpoint load(const std::string& path);

 private:
  std::string path_;
  c10::impl::GenericDict dict_{c10::StringType::get(), c10::AnyType::get()};
};

// The final model file of a stage: its state dict as a pickle.
void save_model_file(const torch::nn::Module& m, const std::string& path);

}  // namespace ganflow
