#pragma once
// d critic(x) / d x with the graph kept (create_graph), so a penalty on it trains the critic.
#include <torch/types.h>

#include <functional>

namespace ganflow_losses {
// Gradient of critic(x) (summed over the batch) w.r.t. x; works under NoGradGuard too.
torch::Tensor input_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                             const torch::Tensor& x);
}  // namespace ganflow_losses
