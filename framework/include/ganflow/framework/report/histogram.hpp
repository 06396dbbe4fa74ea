#pragma once
// A tensor's values as TensorBoard's HistogramProto holds them (its Histograms and
// Distributions tabs), in the layout torch.utils.tensorboard writes: equal-width bins over
// [min, max], `limits` the right edges after a first, empty bin whose limit is min.
#include <vector>

#include <torch/types.h>

namespace ganflow {

struct Histogram {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;  // over the finite values
  std::vector<double> limits, counts;                          // bins + 1 each
};

// Value x goes to bin floor((x - lo) * bins / (hi - lo)), the last bin taking hi; lo, hi are
// min and max (min - 0.5, max + 0.5 when they are equal, as numpy.histogram). In double, so the
// bin of a float parameter does not depend on the arithmetic's precision. NaN and inf are left out.
Histogram histogram_of(const torch::Tensor& t, int bins = 30);

}  // namespace ganflow
