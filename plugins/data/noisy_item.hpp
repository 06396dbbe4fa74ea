#pragma once
// fastai NoisyItem: generator input randn [n, noise_sz, 1, 1], fresh for every batch, made
// directly on the training device (from torch's generator, so the run seed governs it), or
// on the CPU and moved (draw_on: cpu): the same numbers on every device, since a CUDA
// generator draws other numbers than the CPU's from the same seed.
#include "ganflow/data.hpp"

namespace ganflow::data {

class NoisyItem : public NoiseSource {
 public:
  NoisyItem(int64_t noise_sz, bool on_cpu) : noise_sz_(noise_sz), on_cpu_(on_cpu) {}
  torch::Tensor sample(int64_t n, const torch::Device& device) override;

 private:
  int64_t noise_sz_;
  bool on_cpu_;
};

NodeSpec noisy_item_spec();

}  // namespace ganflow::data
