#include "input_gradient.hpp"

#include <torch/torch.h>

namespace ganflow_losses {

torch::Tensor input_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                             const torch::Tensor& x) {
  torch::AutoGradMode grad_on(true);  // a validation pass may run under no-grad
  auto leaf = x.detach().requires_grad_(true);
  auto pred = critic(leaf);
  // grad_outputs = ones, as torch.autograd.grad(pred, x, torch.ones_like(pred), create_graph=True).
  return torch::autograd::grad({pred}, {leaf}, {torch::ones_like(pred)}, /*retain_graph=*/true,
                               /*create_graph=*/true)[0];
}

}  // namespace ganflow_losses
