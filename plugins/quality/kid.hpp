#pragma once
// Kernel Inception Distance (Bińkowski et al. 2018) in a classifier's feature space: the unbiased
// MMD^2 estimate with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over
// random subsets.
#include <torch/types.h>

#include <cstdint>

namespace ganflow_quality {

struct KidResult {
  double mean = 0, std = 0;  // over subsets; std is the population std (ddof 0, as torchmetrics)
  int64_t subsets = 0, subset_size = 0;
};

// Unbiased MMD^2 of two sets of m rows each (the diagonal terms of the within-set sums left out),
// float64. Can be slightly negative when the sets match.
double mmd2_unbiased(const torch::Tensor& x, const torch::Tensor& y);

// `subsets` draws of `subset_size` rows from each set without replacement (seeded); subset_size is
// capped at the smaller set. One subset of the full size uses every row (no sampling).
KidResult kid(const torch::Tensor& a, const torch::Tensor& b, int64_t subsets, int64_t subset_size, uint64_t seed);

}  // namespace ganflow_quality
