#pragma once
// The image sets the quality metrics compare: real images from a data node, generated images,
// and the corrupted-real and noise baselines. Every set goes through the same uint8 round trip
// as the data loader's images, so real and synthetic sets share one pipeline.
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "ganflow/data.hpp"
#include "ganflow/model.hpp"

namespace ganflow_quality {

// The first n images (x) of one pass over `data`; Error naming `param` when it has fewer.
// `labels` (when given) receives their class labels (y of an item_list with target label;
// int64 [n] on the CPU), or an Error names `param` when y holds none.
torch::Tensor collect_images(ganflow::DataSource& data, int64_t n, const torch::Device& device,
                             const std::string& node, const std::string& param, torch::Tensor* labels = nullptr);
// n generator outputs in eval mode from noise drawn under `seed`; the global RNG state and the
// generator's train/eval mode are restored, so evaluating does not change the training run.
// A class-conditional generator draws the classes its noise node samples; `labels` (when given)
// receives them (int64 [n] on the CPU), or an undefined tensor for an unconditional one.
torch::Tensor generate_images(ganflow::Model& generator, ganflow::NoiseSource& noise, int64_t n, int64_t bs,
                              uint64_t seed, const torch::Device& device, torch::Tensor* labels = nullptr);
// [-1, 1] -> uint8 levels -> [-1, 1], as the loader's images.
torch::Tensor quantize(const torch::Tensor& images);
// Separable Gaussian blur (reflect padding, radius ceil(3 sigma)).
torch::Tensor gaussian_blur(const torch::Tensor& images, double sigma);
// images + N(0, std^2), clamped to [-1, 1].
torch::Tensor add_gaussian_noise(const torch::Tensor& images, double std, uint64_t seed);
// Uniform noise in [-1, 1] of the given shape.
torch::Tensor uniform_noise(torch::IntArrayRef shape, uint64_t seed, const torch::Device& device);

}  // namespace ganflow_quality
