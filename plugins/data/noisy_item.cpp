#include "noisy_item.hpp"

#include <torch/torch.h>

namespace ganflow::data {

torch::Tensor NoisyItem::sample(int64_t n, const torch::Device& device) {
  if (on_cpu_) return torch::randn({n, noise_sz_, 1, 1}).to(device, /*non_blocking=*/true);
  return torch::randn({n, noise_sz_, 1, 1}, torch::TensorOptions().device(device));
}

NodeSpec noisy_item_spec() {
  NodeSpec s("noisy_item", NodeKind::Noise, "Generator input: standard normal noise [n, noise_sz, 1, 1] on the device.");
  s.param_int("noise_sz", 100, "Length of the noise vector.").range(1, 65536);
  s.param_enum("draw_on", {"device", "cpu"}, "device",
               "Where the noise is drawn: on the training device, or on the CPU and then moved, which gives the "
               "same noise on every device (a CUDA generator draws other numbers from the same seed).");
  s.factory = [](const BuildContext& c) {
    return std::make_shared<NoisyItem>(c.params().i("noise_sz"), c.params().s("draw_on") == "cpu");
  };
  return s;
}

}  // namespace ganflow::data
