#pragma once
// Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of
// balls around its points with radius the distance to the k-th nearest neighbour in the set.
#include <torch/types.h>

#include <cstdint>

namespace ganflow_quality {

struct PrecisionRecall {
  double precision = 0;  // share of fake samples inside the real manifold (fidelity)
  double recall = 0;     // share of real samples inside the fake manifold (diversity)
};

// Distance of each row to its k-th nearest other row of the same set.
torch::Tensor knn_radii(const torch::Tensor& x, int64_t k);
PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& fake, int64_t k);
// The same with the real radii computed once (the evaluate stage scores several sets).
PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& real_radii, const torch::Tensor& fake,
                                 int64_t k);

}  // namespace ganflow_quality
