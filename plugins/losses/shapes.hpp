#pragma once
// Shape checks that turn torch's broadcasting surprises into one clear line naming the node.
#include <torch/types.h>

#include <string>

namespace ganflow_losses {
std::string shape_text(const torch::Tensor& t);
void require_same_shape(const torch::Tensor& output, const torch::Tensor& target, const std::string& node,
                        const std::string& hint);
void require_same_numel(const torch::Tensor& output, const torch::Tensor& target, const std::string& node);
}  // namespace ganflow_losses
