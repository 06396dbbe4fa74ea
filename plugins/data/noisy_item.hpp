#pragma once
// fastai NoisyItem: generator input randn [n, noise_sz, 1, 1], fresh for every batch, made
// directly on the training device (from torch's generator, so the run seed governs it).
#include "ganflow/data.hpp"

namespace ganflow::data {

class NoisyItem : public NoiseSource {
 public:
  explicit NoisyItem(int64_t noise_sz) : noise_sz_(noise_sz) {}
  torch::Tensor sample(int64_t n, const torch::Device& device) override;
  std::vector<int64_t> shape() const override { return {noise_sz_, 1, 1}; }

 private:
  int64_t noise_sz_;
};

NodeSpec noisy_item_spec();

}  // namespace ganflow::data
