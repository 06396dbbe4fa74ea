#include "fd.hpp"

#include <torch/torch.h>

#include "feature_sets.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

namespace {
void check_rows(const torch::Tensor& x, const char* which) {
  if (x.dim() != 2) throw ganflow::Error(std::string("Fréchet distance: the ") + which + " features must be [n, d]");
  if (x.size(0) <= x.size(1))
    throw ganflow::Error(std::string("Fréchet distance needs more samples than feature dimensions: the ") + which +
                         " set has N = " + std::to_string(x.size(0)) + " <= d = " + std::to_string(x.size(1)) +
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

double frechet_distance(const torch::Tensor& a_in, const torch::Tensor& b_in) {
  check_rows(a_in, "first");
  check_rows(b_in, "second");
  if (a_in.size(1) != b_in.size(1))
    throw ganflow::Error("Fréchet distance: feature dimensions differ (" + std::to_string(a_in.size(1)) + " vs " +
                         std::to_string(b_in.size(1)) + ")");
  torch::NoGradGuard ng;
  torch::Tensor a = a_in.to(torch::kCPU, torch::kDouble), b = b_in.to(torch::kCPU, torch::kDouble);
  torch::Tensor mu_a = a.mean(0), mu_b = b.mean(0);
  torch::Tensor s_a = covariance(a, mu_a), s_b = covariance(b, mu_b);
  torch::Tensor r = sqrt_psd(s_a);
  torch::Tensor m = r.mm(s_b).mm(r);
  m = (m + m.t()) / 2;  // symmetric up to rounding; eigvalsh wants it exactly
  double tr_sqrt = at::linalg_eigvalsh(m, "L").clamp_min(0).sqrt().sum().item<double>();
  double diff = (mu_a - mu_b).pow(2).sum().item<double>();
  return diff + s_a.trace().item<double>() + s_b.trace().item<double>() - 2 * tr_sqrt;
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
