#pragma once
// d critic(x) / d x with the graph kept (create_graph), so a penalty on it trains the critic.
#include <torch/types.h>

#include <functional>
#include <string>

namespace ganflow_losses {
// Gradient of critic(x) (summed over the batch) w.r.t. x; works under NoGradGuard too.
// The critic must score each image on its own (not basic_critic's batch_mean): else an Error for `node`.
torch::Tensor input_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                             const torch::Tensor& x, const std::string& node);
}  // namespace ganflow_losses
