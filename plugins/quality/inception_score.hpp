#pragma once
// Inception Score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))) from a classifier's logits,
// p(y) the split's mean prediction; the mean and std over consecutive splits, as the paper's code.
// High when each sample is confidently one class and the classes are balanced; at most C.
#include <torch/types.h>

#include <cstdint>

namespace ganflow_quality {

struct InceptionScore {
  double mean = 0, std = 0;  // over the splits (std: population, numpy's default)
  int64_t splits = 0;
};

constexpr int64_t kInceptionScoreSplits = 10;  // the paper's; evaluate's default, quality_monitor's

// logits [n, C]; `splits` consecutive chunks, rows k n / splits to (k + 1) n / splits (every row
// used, as the paper's code; the chunks differ by one row when splits does not divide n).
InceptionScore inception_score(const torch::Tensor& logits, int64_t splits);

}  // namespace ganflow_quality
