#include "shapes.hpp"

#include <ganflow/error.hpp>

namespace ganflow_losses {

std::string shape_text(const torch::Tensor& t) { return c10::str(t.sizes()); }

void require_same_shape(const torch::Tensor& output, const torch::Tensor& target, const std::string& node,
                        const std::string& hint) {
  if (output.sizes() != target.sizes())
    throw ganflow::Error("target shape " + shape_text(target) + " does not match output shape " +
                             shape_text(output) + hint,
                         node);
}

void require_same_numel(const torch::Tensor& output, const torch::Tensor& target, const std::string& node) {
  if (output.numel() != target.numel())
    throw ganflow::Error("output " + shape_text(output) + " and target " + shape_text(target) +
                             " have different numbers of elements",
                         node);
}

}  // namespace ganflow_losses
