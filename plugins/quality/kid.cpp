#include "kid.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "feature_sets.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

double mmd2_unbiased(const torch::Tensor& x_in, const torch::Tensor& y_in) {
  torch::NoGradGuard ng;
  torch::Tensor x = x_in.to(torch::kCPU, torch::kDouble), y = y_in.to(torch::kCPU, torch::kDouble);
  const int64_t m = x.size(0);
  if (m < 2 || y.size(0) != m) throw ganflow::Error("KID: needs two subsets of the same size >= 2");
  const double d = double(x.size(1));
  auto kernel = [d](const torch::Tensor& p, const torch::Tensor& q) { return (p.mm(q.t()) / d + 1).pow(3); };
  torch::Tensor kxx = kernel(x, x), kyy = kernel(y, y), kxy = kernel(x, y);
  double sxx = (kxx.sum() - kxx.diagonal().sum()).item<double>();
  double syy = (kyy.sum() - kyy.diagonal().sum()).item<double>();
  double sxy = kxy.sum().item<double>();
  double mm1 = double(m) * double(m - 1);
  return sxx / mm1 + syy / mm1 - 2 * sxy / (double(m) * double(m));
}

KidResult kid(const torch::Tensor& a, const torch::Tensor& b, int64_t subsets, int64_t subset_size, uint64_t seed) {
  if (a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(1))
    throw ganflow::Error("KID: expects two feature sets [n, d] of the same d, got " + c10::str(a.sizes()) + " and " +
                         c10::str(b.sizes()));
  if (subsets < 1) throw ganflow::Error("KID: subsets must be >= 1");
  const int64_t m = std::min({subset_size, a.size(0), b.size(0)});
  KidResult r;
  r.subsets = subsets, r.subset_size = m;
  std::mt19937_64 rng(seed);
  auto draw = [&](int64_t n) {
    std::vector<int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    if (m < n) std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(m);
    return torch::tensor(idx, torch::kLong);
  };
  std::vector<double> v;
  for (int64_t s = 0; s < subsets; ++s) v.push_back(mmd2_unbiased(a.index_select(0, draw(a.size(0))),
                                                                  b.index_select(0, draw(b.size(0)))));
  r.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  double var = 0;
  for (double x : v) var += (x - r.mean) * (x - r.mean);
  r.std = std::sqrt(var / double(v.size()));
  return r;
}

namespace {
class KidMetric : public FeatureSetMetric {
 public:
  KidMetric(int64_t subsets, int64_t size, uint64_t seed, bool want_std)
      : subsets_(subsets), size_(size), seed_(seed), want_std_(want_std) {}
  double value() const override {
    KidResult r = kid(set_a(), set_b(), subsets_, size_, seed_);
    return want_std_ ? r.std : r.mean;
  }

 private:
  int64_t subsets_, size_;
  uint64_t seed_;
  bool want_std_;
};

struct KidSettings {  // read from the params register_kid declares (their defaults are there)
  int64_t subsets{}, subset_size{};
  bool want_std{};  // value = std
};
}  // namespace

void register_kid(ganflow::Registry& r) {
  ganflow::NodeSpec s("kid", ganflow::NodeKind::Metric,
                      "Kernel Inception Distance between two feature sets: unbiased MMD^2, cubic polynomial kernel "
                      "(x.y/d + 1)^3, mean (or std) over random subsets. accumulate(pred, target): rows [n, d] of "
                      "set A and set B. Unbiased: ~0 (possibly < 0) for matching sets, usable at small N.");
  using S = KidSettings;
  ganflow::Fields<S> f(s);
  f.add("subsets", &S::subsets, 100, "Random subsets to average over.").range(1, 10000);
  f.add("subset_size", &S::subset_size, 1000, "Rows per subset (capped at the smaller set).").at_least(2);
  f.add_enum("value", &S::want_std, {{"mean", false}, {"std", true}}, "mean",
             "What value() returns: the mean or the std over subsets.");
  s.factory = [f](const ganflow::BuildContext& c) {
    KidSettings st = f.read(c.params());
    return std::make_shared<KidMetric>(st.subsets, st.subset_size, c.seed(), st.want_std);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
