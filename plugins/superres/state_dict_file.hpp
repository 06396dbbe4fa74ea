#pragma once
// A module's parameters and buffers as a torch.save-compatible pickled dict (the format of the
// learner's <stage>_model.pt): the snapshot that lets a later stage go back to earlier weights.
#include <torch/nn/module.h>

#include <string>

namespace ganflow_superres {

void save_state_dict(const torch::nn::Module& m, const std::string& path);
// Every key of the module must be in the file with its shape, and no other; errors name `param`.
void load_state_dict(torch::nn::Module& m, const std::string& path, const std::string& param);

}  // namespace ganflow_superres
