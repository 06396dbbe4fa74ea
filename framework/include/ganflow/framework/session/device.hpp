#pragma once
// --device auto|cpu|cuda|cuda:N
#include <torch/types.h>

#include <string>

namespace ganflow {
// auto picks CUDA when LibTorch sees a GPU; cuda without one is a clear Error.
torch::Device resolve_device(const std::string& spec);
}  // namespace ganflow
