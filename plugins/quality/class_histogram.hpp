#pragma once
// Mode coverage: the classifier's predicted-class histogram of a sample set, its KL divergence
// to the uniform distribution and the number of classes ("modes") it hits.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace ganflow_quality {

struct ClassHistogram {
  std::vector<int64_t> counts;
  double kl_uniform = 0;  // KL(p || uniform) in nats: 0 when balanced, log(C) when one class
  int64_t modes = 0;      // classes holding at least min_share of the samples
};

// logits [n, C]; a class is hit when it holds >= min_share of the n samples.
ClassHistogram class_histogram(const torch::Tensor& logits, double min_share);

}  // namespace ganflow_quality
