#pragma once
// A module's weights as a file: its parameters and buffers by dotted name, pickled as Python's
// torch.save(model.state_dict()) would be read (torch::pickle_save's format, without its type
// tags), so torch.load reads the files ganflow writes, in weights_only mode too, and ganflow
// reads state dicts saved in Python.
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>

#include <string>

#include "ganflow/export.hpp"

namespace ganflow {

using StateDict = c10::Dict<std::string, torch::Tensor>;

// Parameters and buffers, detached copies on the CPU.
GANFLOW_API StateDict state_dict(const torch::nn::Module& m);
// Copies `sd` into `m`. Every parameter and buffer of `m` must be in `sd` with its shape
// (entries `m` lacks are ignored); an Error names `source` (a file, a checkpoint entry) and
// `param` (the node param that named it; "" when none).
GANFLOW_API void load_state_dict(torch::nn::Module& m, const StateDict& sd, const std::string& source,
                                 const std::string& param = "");

// Writes `value` to `path` atomically (a temporary file, fsync, rename), creating the folder:
// a reader never sees half a file, and a crash keeps the old one.
GANFLOW_API void save_pickle(const c10::IValue& value, const std::string& path);
// Reads a pickle; an Error names the file (and `param`) when it is missing, truncated or corrupt.
GANFLOW_API c10::IValue load_pickle(const std::string& path, const std::string& param = "");

// A loaded dict of tensors by name (typed or not) as a StateDict; anything else is an Error
// naming `source` and `param`.
GANFLOW_API StateDict to_state_dict(const c10::IValue& v, const std::string& source, const std::string& param = "");

GANFLOW_API void save_state_dict_file(const torch::nn::Module& m, const std::string& path);
// A file holding a dict of tensors; anything else is an Error naming it.
GANFLOW_API StateDict load_state_dict_file(const std::string& path, const std::string& param = "");

}  // namespace ganflow
