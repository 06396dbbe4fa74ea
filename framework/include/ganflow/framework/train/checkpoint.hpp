#pragma once
// Checkpoint files: torch pickles (ganflow/state_dict.hpp), so Python's torch.load reads them;
// written atomically, and the previous one is kept as <file>.prev.
#include <ATen/core/Dict.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <string>

#include "ganflow/params.hpp"
#include "ganflow/state_dict.hpp"

namespace ganflow {

torch::Tensor optimizer_state(torch::optim::Optimizer& opt);  // serialised bytes (uint8)
void load_optimizer_state(torch::optim::Optimizer& opt, const torch::Tensor& bytes);

torch::Tensor cpu_rng_state();
void set_cpu_rng_state(const torch::Tensor& state);

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
  void save(const std::string& path) const;  // atomically; an existing file becomes <path>.prev
  static Checkpoint load(const std::string& path);
  static Checkpoint from_pickle(const c10::IValue& v, const std::string& path);  // `path` already read (load_pickle)

 private:
  std::string path_;
  c10::impl::GenericDict dict_{c10::StringType::get(), c10::AnyType::get()};
};

}  // namespace ganflow
