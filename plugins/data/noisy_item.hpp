#pragma once
// fastai NoisyItem: generator input randn [n, noise_sz, 1, 1], fresh for every batch, made
// directly on the training device (from torch's generator, so the run seed governs it), or
// on the CPU and moved (draw_on: cpu): the same numbers on every device, since a CUDA
// generator draws other numbers than the CPU's from the same seed.
// With n_classes > 0 it also draws the class each image is generated for: uniformly, or as
// often as each class occurs in a labelled source (label_dist: frequency).
#include <vector>

#include "ganflow/data.hpp"

namespace ganflow::data {

class NoisyItem : public NoiseSource {
 public:
  // class_weights: empty for uniform labels, else one weight per class.
  NoisyItem(int64_t noise_sz, bool on_cpu, int64_t n_classes, std::vector<double> class_weights);
  torch::Tensor sample(int64_t n, const torch::Device& device) override;
  int64_t n_classes() const override { return n_classes_; }
  torch::Tensor sample_labels(int64_t n, const torch::Device& device) override;

 private:
  int64_t noise_sz_;
  bool on_cpu_;
  int64_t n_classes_;
  torch::Tensor class_weights_;  // float [n_classes] on the CPU; undefined: uniform
};

NodeSpec noisy_item_spec();

}  // namespace ganflow::data
