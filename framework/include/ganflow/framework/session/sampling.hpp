#pragma once
// Sampling tools of `ganflow generate`: the truncation trick and spherical interpolation.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace ganflow {

// BigGAN's truncation trick: every component of `z` with |z| > psi is replaced by a fresh draw
// of `draw()` (a tensor of z's shape from the same noise source) until none is left. Works
// component-wise for any noise shape; a source whose values never fall within psi is an error
// after `max_draws` draws (e.g. psi below a uniform source's smallest magnitude).
torch::Tensor truncate_noise(torch::Tensor z, double psi, const std::function<torch::Tensor()>& draw,
                             int64_t max_draws = 10000);

// Spherical interpolation (slerp) between two noise tensors of one shape, each taken as one
// vector; linear when they are (anti)parallel to within float precision.
torch::Tensor slerp(const torch::Tensor& a, const torch::Tensor& b, double t);

// `steps` points from each key to the next, endpoints included and shared: for k keys of shape
// [1, ...], (k - 1) * (steps - 1) + 1 rows.
torch::Tensor interpolation_path(const std::vector<torch::Tensor>& keys, int64_t steps);
// A class-conditional grid: one row per class of `classes` (int64 [k]), the noise rows of
// `columns` ([cols, ...]) down the columns. Returns the noise [k * cols, ...] and the labels
// [k * cols], row-major, on the noise's device.
std::pair<torch::Tensor, torch::Tensor> class_rows(const torch::Tensor& columns, const torch::Tensor& classes);

}  // namespace ganflow
