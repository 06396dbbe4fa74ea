#include "ganflow/layers/sequential_block.hpp"

#include "batch_norm_act.hpp"

namespace ganflow::layers {

torch::Tensor SequentialBlockImpl::forward(torch::Tensor x) {
  if (is_empty()) return SequentialImpl::forward(std::move(x));  // its error
  torch::nn::AnyValue value(std::move(x));
  for (size_t i = 0; i < size(); ++i) {
    if (i + 1 < size())
      if (const auto* t = value.try_get<torch::Tensor>())
        if (auto fused = batch_norm_act(*ptr(i), *ptr(i + 1), *t)) {
          value = torch::nn::AnyValue(std::move(*fused));
          ++i;
          continue;
        }
    value = begin()[i].any_forward(std::move(value));
  }
  return value.get<torch::Tensor>();
}

}  // namespace ganflow::layers
