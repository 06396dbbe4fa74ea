#include "ganflow/framework/session/device.hpp"

#include <torch/cuda.h>

#include "ganflow/error.hpp"

namespace ganflow {

torch::Device resolve_device(const std::string& spec) {
  if (spec == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (spec == "cpu") return torch::Device(torch::kCPU);
  if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("device '" + spec + "' requested but this LibTorch sees no CUDA GPU; use --device cpu or auto");
    int index = 0;
    if (spec.size() > 5) {
      try {
        index = std::stoi(spec.substr(5));
      } catch (const std::exception&) {
        throw Error("device '" + spec + "': expected cuda:N");
      }
    }
    if (index < 0 || index >= int(torch::cuda::device_count()))
      throw Error("device '" + spec + "': only " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
    return torch::Device(torch::kCUDA, index);
  }
  throw Error("device '" + spec + "': expected auto, cpu, cuda or cuda:N");
}

}  // namespace ganflow
