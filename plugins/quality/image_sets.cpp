#include "image_sets.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ganflow/conditional_model.hpp>
#include <ganflow/unit_range.hpp>
#include <torch/torch.h>

#include <cmath>
#include <mutex>

namespace ganflow_quality {

torch::Tensor collect_images(ganflow::DataSource& data, int64_t n, const torch::Device& device,
                             const std::string& node, const std::string& param, torch::Tensor* labels) {
  std::vector<torch::Tensor> parts, label_parts;
  int64_t have = 0;
  data.start_epoch(0, 0, device);
  ganflow::Batch b;
  while (have < n && data.next(b)) {
    const int64_t take = std::min(n - have, b.x.size(0));
    parts.push_back(b.x.narrow(0, 0, take).detach());
    if (labels) {
      if (!b.y.defined() || b.y.dim() != 1 || b.y.scalar_type() != torch::kLong) {
        data.stop();
        throw ganflow::Error("input '" + param + "' gives no class labels, which a class-conditional generator is "
                                 "scored against (use an item_list with target label)",
                             node, param);
      }
      label_parts.push_back(b.y.narrow(0, 0, take).cpu());
    }
    have += take;
  }
  data.stop();
  if (have < n)
    throw ganflow::Error("input '" + param + "' gave " + std::to_string(have) + " images in one pass, fewer than n = " +
                             std::to_string(n) + " (lower n, or set drop_last = false / a larger source)",
                         node, "n");
  if (labels) *labels = torch::cat(label_parts);
  return torch::cat(parts);
}

namespace {
// Runs `f` with torch's CPU generator seeded to `seed`, then puts its state back. The generator's
// mutex is held only around get/set: torch's samplers take it themselves.
template <class F> auto with_seed(uint64_t seed, F f) {
  auto gen = at::detail::getDefaultCPUGenerator();
  at::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    saved = gen.get_state();
    gen.set_current_seed(seed);
  }
  struct Restore {
    at::Generator& g;
    at::Tensor s;
    ~Restore() {
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_state(s);
    }
  } restore{gen, saved};
  return f();
}
}  // namespace

torch::Tensor generate_images(ganflow::Model& generator, ganflow::NoiseSource& noise, int64_t n, int64_t bs,
                              uint64_t seed, const torch::Device& device, torch::Tensor* labels) {
  torch::NoGradGuard ng;
  bool was_training = generator.module().is_training();
  generator.module().eval();
  const bool conditional = dynamic_cast<ganflow::ConditionalModel*>(&generator) != nullptr;
  std::vector<torch::Tensor> z, y;
  // The noise (and a conditional run's labels) is drawn on the CPU generator and then moved: the
  // same seed gives the same inputs on every device.
  with_seed(seed, [&] {
    for (int64_t s = 0; s < n; s += bs) {
      z.push_back(noise.sample(std::min(bs, n - s), torch::kCPU));
      if (conditional) y.push_back(noise.sample_labels(z.back().size(0), torch::kCPU));
    }
    return 0;
  });
  std::vector<torch::Tensor> out;
  for (std::size_t i = 0; i < z.size(); ++i)
    out.push_back(
        ganflow::forward_with_labels(generator, z[i].to(device), conditional ? y[i].to(device) : torch::Tensor()).detach());
  generator.module().train(was_training);
  if (labels) *labels = conditional ? torch::cat(y) : torch::Tensor();
  return quantize(torch::cat(out));
}

torch::Tensor quantize(const torch::Tensor& images) {
  return ganflow::unit_from_pixels(ganflow::pixels_from_unit(images));
}

torch::Tensor gaussian_blur(const torch::Tensor& images, double sigma) {
  if (sigma <= 0) return images;
  int64_t r = int64_t(std::ceil(3 * sigma));
  torch::Tensor t = torch::arange(-r, r + 1, images.options().dtype(torch::kFloat));
  torch::Tensor k = (-(t * t) / (2 * sigma * sigma)).exp();
  k = k / k.sum();
  const int64_t c = images.size(1);
  namespace F = torch::nn::functional;
  torch::Tensor x = F::pad(images, F::PadFuncOptions({r, r, r, r}).mode(torch::kReflect));
  x = F::conv2d(x, k.view({1, 1, 1, -1}).repeat({c, 1, 1, 1}), F::Conv2dFuncOptions().groups(c));
  x = F::conv2d(x, k.view({1, 1, -1, 1}).repeat({c, 1, 1, 1}), F::Conv2dFuncOptions().groups(c));
  return quantize(x);
}

torch::Tensor add_gaussian_noise(const torch::Tensor& images, double std, uint64_t seed) {
  torch::Tensor eps = with_seed(seed, [&] { return torch::randn(images.sizes(), torch::kFloat); });
  return quantize((images + std * eps.to(images.device())).clamp(-1, 1));
}

torch::Tensor uniform_noise(torch::IntArrayRef shape, uint64_t seed, const torch::Device& device) {
  torch::Tensor u = with_seed(seed, [&] { return torch::rand(shape, torch::kFloat); });
  return quantize(u.mul(2).sub(1).to(device));
}

}  // namespace ganflow_quality
