#include "ganflow/framework/report/histogram.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace ganflow {

Histogram histogram_of(const torch::Tensor& t, int bins) {
  torch::Tensor v = t.detach().to(torch::kCPU, torch::kDouble).contiguous().view(-1);
  v = v.masked_select(torch::isfinite(v));
  Histogram h;
  if (v.numel() == 0) return h;
  h.counts.assign(std::size_t(bins) + 1, 0.0);
  h.num = double(v.numel());
  h.min = v.min().item<double>();
  h.max = v.max().item<double>();
  h.sum = v.sum().item<double>();
  h.sum_squares = v.dot(v).item<double>();
  const double lo = h.min == h.max ? h.min - 0.5 : h.min, hi = h.min == h.max ? h.max + 0.5 : h.max;
  for (int k = 0; k <= bins; ++k) h.limits.push_back(k == bins ? hi : lo + (hi - lo) * k / bins);
  const double* x = v.data_ptr<double>();
  for (int64_t i = 0; i < v.numel(); ++i) {
    const double k = std::floor((x[i] - lo) * bins / (hi - lo));
    h.counts[std::size_t(std::clamp(k, 0.0, double(bins - 1))) + 1] += 1;
  }
  return h;
}

}  // namespace ganflow
