#include "noisy_item.hpp"

#include <torch/torch.h>

namespace ganflow::data {

torch::Tensor NoisyItem::sample(int64_t n, const torch::Device& device) {
  return torch::randn({n, noise_sz_, 1, 1}, torch::TensorOptions().device(device));
}

NodeSpec noisy_item_spec() {
  NodeSpec s("noisy_item", NodeKind::Noise, "Generator input: standard normal noise [n, noise_sz, 1, 1] on the device.");
  s.param_int("noise_sz", 100, "Length of the noise vector.").at_least(1);
  s.factory = [](const BuildContext& c) { return std::make_shared<NoisyItem>(c.params().i("noise_sz")); };
  return s;
}

}  // namespace ganflow::data
