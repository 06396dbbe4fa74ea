#include "fd.hpp"

#include <torch/torch.h>

#include "feature_sets.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

namespace {
// which: "first", "second" or "" (one set).
void check_rows(const torch::Tensor& x, const std::string& which) {
  const std::string set = which.empty() ? "the" : "the " + which;
  if (x.dim() != 2) throw ganflow::Error("Fréchet distance: " + set + " features must be [n, d]");
  if (x.size(0) <= x.size(1))
    throw ganflow::Error("Fréchet distance needs more samples than feature dimensions: " + set + " set has N = " + std::to_string(x.size(0)) + " <= d = " + std::to_string(x.size(1)) +
                         ", so its covariance is singular; use N > " + std::to_string(x.size(1)) +
                         " (the protocol uses N = 10000), or KID for small N");
}

torch::Tensor covariance(const torch::Tensor& x, const torch::Tensor& mu) {
  torch::Tensor c = x - mu;
  return c.t().mm(c) / double(x.size(0) - 1);
}

// Symmetric PSD square root: V diag(sqrt(max(l, 0))) V^T.
torch::Tensor sqrt_psd(const torch::Tensor& s) {
  auto [l, v] = at::linalg_eigh(s, "L");
  return v.mm(torch::diag(l.clamp_min(0).sqrt())).mm(v.t());
}
}  // namespace

GaussianStats gaussian_stats(const torch::Tensor& features) {
  check_rows(features, "");
  torch::NoGradGuard ng;
  torch::Tensor x = features.to(torch::kCPU, torch::kDouble);
  torch::Tensor mu = x.mean(0);
  return {mu, covariance(x, mu), x.size(0)};
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  if (a.mu.size(0) != b.mu.size(0))
    throw ganflow::Error("Fréchet distance: feature dimensions differ (" + std::to_string(a.mu.size(0)) + " vs " +
                         std::to_string(b.mu.size(0)) + ")");
  torch::NoGradGuard ng;
  torch::Tensor r = sqrt_psd(a.sigma);
  torch::Tensor m = r.mm(b.sigma).mm(r);
  m = (m + m.t()) / 2;  // symmetric up to rounding; eigvalsh wants it exactly
  double tr_sqrt = at::linalg_eigvalsh(m, "L").clamp_min(0).sqrt().sum().item<double>();
  double diff = (a.mu - b.mu).pow(2).sum().item<double>();
  return diff + a.sigma.trace().item<double>() + b.sigma.trace().item<double>() - 2 * tr_sqrt;
}

double frechet_distance(const torch::Tensor& a, const torch::Tensor& b) {
  check_rows(a, "first");
  check_rows(b, "second");
  return frechet_distance(gaussian_stats(a), gaussian_stats(b));
}

namespace {
class FdMetric : public FeatureSetMetric {
 public:
  double value() const override { return frechet_distance(set_a(), set_b()); }
};
}  // namespace

void register_fd(ganflow::Registry& r) {
  ganflow::NodeSpec s("fd", ganflow::NodeKind::Metric,
                      "Fréchet distance between two feature sets, float64, matrix square root by symmetric "
                      "eigendecomposition. accumulate(pred, target): rows [n, d] of set A and set B. Refuses "
                      "N <= d. The evaluate stage and quality_monitor use the same code.");
  s.factory = [](const ganflow::BuildContext&) { return std::make_shared<FdMetric>(); };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
