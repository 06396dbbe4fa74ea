#include "input_gradient.hpp"

#include <ganflow/error.hpp>
#include <torch/torch.h>

namespace ganflow_losses {

torch::Tensor input_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                             const torch::Tensor& x, const std::string& node) {
  torch::AutoGradMode grad_on(true);  // a validation pass may run under no-grad
  auto leaf = x.detach().requires_grad_(true);
  auto pred = critic(leaf);
  if (pred.dim() == 0 || pred.size(0) != x.size(0))
    throw ganflow::Error("the gradient penalty needs one critic score per image, got " + c10::str(pred.sizes()) +
                             " for " + std::to_string(x.size(0)) + " images (use the critic's flatten output)",
                         node);
  // grad_outputs = ones, as torch.autograd.grad(pred, x, torch.ones_like(pred), create_graph=True).
  return torch::autograd::grad({pred}, {leaf}, {torch::ones_like(pred)}, /*retain_graph=*/true,
                               /*create_graph=*/true)[0];
}

}  // namespace ganflow_losses
