#include "noisy_item.hpp"

#include <torch/torch.h>

#include "ganflow/fields.hpp"

namespace ganflow::data {

torch::Tensor NoisyItem::sample(int64_t n, const torch::Device& device) {
  if (on_cpu_) return torch::randn({n, noise_sz_, 1, 1}).to(device, /*non_blocking=*/true);
  return torch::randn({n, noise_sz_, 1, 1}, torch::TensorOptions().device(device));
}

namespace {
struct NoisyItemSettings {  // read from the params noisy_item_spec declares (their defaults are there)
  int64_t noise_sz{};
  bool on_cpu{};  // draw_on = cpu
};
}  // namespace

NodeSpec noisy_item_spec() {
  NodeSpec s("noisy_item", NodeKind::Noise, "Generator input: standard normal noise [n, noise_sz, 1, 1] on the device.");
  using S = NoisyItemSettings;
  Fields<S> f(s);
  f.add("noise_sz", &S::noise_sz, 100, "Length of the noise vector.").range(1, 65536);
  f.add_enum("draw_on", &S::on_cpu, {{"device", false}, {"cpu", true}}, "device",
             "Where the noise is drawn: on the training device, or on the CPU and then moved, which gives the "
             "same noise on every device (a CUDA generator draws other numbers from the same seed).");
  s.factory = [f](const BuildContext& c) {
    NoisyItemSettings k = f.read(c.params());
    return std::make_shared<NoisyItem>(k.noise_sz, k.on_cpu);
  };
  return s;
}

}  // namespace ganflow::data
