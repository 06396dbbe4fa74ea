#pragma once
// The checks a class-conditional model runs on the labels beside its input.
#include <ganflow/error.hpp>

#include <torch/types.h>

#include <string>

namespace ganflow_models {

// labels must be int64 [bs] in [0, n_classes). The range is checked where it is cheap (labels
// on the CPU); the GAN data path checks real labels on the host before they reach the device.
inline void check_labels(const torch::Tensor& labels, int64_t bs, int64_t n_classes, const std::string& node) {
  if (!labels.defined() || labels.dim() != 1 || labels.size(0) != bs || labels.scalar_type() != torch::kLong)
    throw ganflow::Error("expected labels int64 [" + std::to_string(bs) + "], got " +
                             (labels.defined() ? std::string(c10::toString(labels.scalar_type())) + " " +
                                                     c10::str(labels.sizes())
                                               : std::string("none")),
                         node);
  if (labels.device().is_cpu() && bs > 0) {
    const int64_t lo = labels.min().item<int64_t>(), hi = labels.max().item<int64_t>();
    if (lo < 0 || hi >= n_classes)
      throw ganflow::Error("label " + std::to_string(lo < 0 ? lo : hi) + " is outside [0, " + std::to_string(n_classes) +
                               ")",
                           node);
  }
}

}  // namespace ganflow_models
