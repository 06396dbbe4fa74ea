#pragma once
// State dicts and checkpoint files. Files are torch pickles (torch::pickle_save), so Python's
// torch.load reads them; checkpoints are written atomically (temporary file, fsync, rename)
// and the previous one is kept.
#include <ATen/core/Dict.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <string>

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

// The final model file of a stage: its state dict as a pickle.
void save_model_file(const torch::nn::Module& m, const std::string& path);

}  // namespace ganflow
