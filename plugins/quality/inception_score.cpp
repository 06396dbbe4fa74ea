#include "inception_score.hpp"

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "feature_sets.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

InceptionScore inception_score(const torch::Tensor& logits, int64_t splits) {
  if (logits.dim() != 2 || logits.size(1) < 2)
    throw ganflow::Error("inception score: expects class logits [n, C] with C >= 2, got " + c10::str(logits.sizes()));
  const int64_t n = logits.size(0);
  if (splits < 1 || n < splits)
    throw ganflow::Error("inception score: " + std::to_string(n) + " samples cannot make " + std::to_string(splits) +
                         " splits");
  torch::NoGradGuard ng;
  // In logs, in double: a confident class's p(y|x) log p(y|x) stays exact where softmax
  // underflows, and a class no row gives any probability (p = 0, log p(y) = -inf) adds 0, not NaN.
  const torch::Tensor log_p = torch::log_softmax(logits.detach().to(torch::kCPU, torch::kDouble), 1);
  InceptionScore r;
  r.splits = splits;
  std::vector<double> scores;
  for (int64_t k = 0; k < splits; ++k) {
    const int64_t from = k * n / splits, rows = (k + 1) * n / splits - from;
    const torch::Tensor part = log_p.narrow(0, from, rows), p = part.exp();
    const torch::Tensor log_py = torch::logsumexp(part, 0) - std::log(double(rows));
    const torch::Tensor terms = torch::where(p > 0, p * (part - log_py), torch::zeros_like(p));
    scores.push_back(std::exp(terms.sum(1).mean().item<double>()));
  }
  for (double s : scores) r.mean += s / double(splits);
  for (double s : scores) r.std += (s - r.mean) * (s - r.mean) / double(splits);
  r.std = std::sqrt(r.std);
  return r;
}

namespace {
class InceptionScoreMetric : public FeatureSetMetric {
 public:
  InceptionScoreMetric(int64_t splits, bool want_std) : splits_(splits), want_std_(want_std) {}
  // The logits alone: a learner's targets (labels [bs]) are not a second feature set.
  void accumulate(const torch::Tensor& pred, const torch::Tensor&) override {
    FeatureSetMetric::accumulate(pred, torch::Tensor());
  }
  double value() const override {
    const InceptionScore s = inception_score(set_a(), splits_);
    return want_std_ ? s.std : s.mean;
  }

 private:
  int64_t splits_;
  bool want_std_;
};

struct InceptionScoreSettings {  // read from the params register_inception_score declares (their defaults are there)
  int64_t splits{};
  bool want_std{};  // value = std
};
}  // namespace

void register_inception_score(ganflow::Registry& r) {
  ganflow::NodeSpec s("inception_score", ganflow::NodeKind::Metric,
                      "Inception Score from classifier logits: accumulate(pred = logits [n, C], target ignored); "
                      "value: exp(mean KL(p(y|x) || p(y))) per split of consecutive samples, the mean (or std) "
                      "over splits (Salimans et al. 2016). 1 for one class, C for confident balanced classes.");
  using S = InceptionScoreSettings;
  ganflow::Fields<S> f(s);
  f.add("splits", &S::splits, 10, "Consecutive splits of the samples, scored separately.").range(1, 1000);
  f.add_enum("value", &S::want_std, {{"mean", false}, {"std", true}}, "mean",
             "What value() returns: the mean or the std over splits.");
  s.factory = [f](const ganflow::BuildContext& c) {
    const InceptionScoreSettings st = f.read(c.params());
    return std::make_shared<InceptionScoreMetric>(st.splits, st.want_std);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
