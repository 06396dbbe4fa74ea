#pragma once
// Fréchet distance between Gaussians fitted to two feature sets (FID's formula in a domain
// classifier's feature space), in float64.
#include <torch/types.h>

namespace ganflow_quality {

// ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr sqrt(S_a^1/2 S_b S_a^1/2), with unbiased (n - 1)
// covariances and the square roots by symmetric eigendecomposition (eigenvalues clamped at 0), so
// the result is real even for nearly singular covariances. Throws ganflow::Error when a set has
// n <= d rows (singular covariance).
double frechet_distance(const torch::Tensor& a, const torch::Tensor& b);

// A feature set's Gaussian: mean [d] and unbiased covariance [d, d], float64 on the CPU (what
// pytorch-fid stores as mu and sigma).
struct GaussianStats {
  torch::Tensor mu, sigma;
  int64_t n = 0;
};
// Throws ganflow::Error when the set has n <= d rows.
GaussianStats gaussian_stats(const torch::Tensor& features);
double frechet_distance(const GaussianStats& a, const GaussianStats& b);

}  // namespace ganflow_quality
