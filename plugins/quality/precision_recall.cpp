#include "precision_recall.hpp"

#include <torch/torch.h>

#include "feature_sets.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

namespace {
constexpr int64_t kChunk = 1024;  // rows per distance block: bounds memory at N = 10000

// For each row of `q`: is it within radii[i] of some row i of `x`?
torch::Tensor inside(const torch::Tensor& q, const torch::Tensor& x, const torch::Tensor& radii) {
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < q.size(0); s += kChunk) {
    torch::Tensor d = torch::cdist(q.narrow(0, s, std::min(kChunk, q.size(0) - s)), x);
    parts.push_back((d <= radii.unsqueeze(0)).any(1));
  }
  return torch::cat(parts);
}
}  // namespace

torch::Tensor knn_radii(const torch::Tensor& x, int64_t k) {
  if (x.size(0) <= k)
    throw ganflow::Error("precision/recall: needs more than k = " + std::to_string(k) + " samples, got " +
                         std::to_string(x.size(0)));
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < x.size(0); s += kChunk) {
    torch::Tensor d = torch::cdist(x.narrow(0, s, std::min(kChunk, x.size(0) - s)), x);
    // k + 1 smallest: the first is the point itself (distance 0).
    parts.push_back(std::get<0>(d.topk(k + 1, 1, /*largest=*/false, /*sorted=*/true)).select(1, k));
  }
  return torch::cat(parts);
}

PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& real_radii, const torch::Tensor& fake,
                                 int64_t k) {
  torch::NoGradGuard ng;
  if (real.dim() != 2 || fake.dim() != 2 || real.size(1) != fake.size(1))
    throw ganflow::Error("precision/recall: expects two feature sets [n, d] of the same d");
  torch::Tensor f = fake.to(torch::kCPU, torch::kDouble), r = real.to(torch::kCPU, torch::kDouble);
  PrecisionRecall out;
  out.precision = inside(f, r, real_radii.to(torch::kDouble)).to(torch::kDouble).mean().item<double>();
  out.recall = inside(r, f, knn_radii(f, k)).to(torch::kDouble).mean().item<double>();
  return out;
}

PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& fake, int64_t k) {
  torch::Tensor r = real.to(torch::kCPU, torch::kDouble);
  return precision_recall(r, knn_radii(r, k), fake, k);
}

namespace {
class PrecisionRecallMetric : public FeatureSetMetric {
 public:
  PrecisionRecallMetric(int64_t k, bool want_recall) : k_(k), want_recall_(want_recall) {}
  double value() const override {
    PrecisionRecall pr = precision_recall(set_b(), set_a(), k_);
    return want_recall_ ? pr.recall : pr.precision;
  }

 private:
  int64_t k_;
  bool want_recall_;
};

struct PrecisionRecallSettings {  // read from the params register_precision_recall declares (their defaults are there)
  int64_t k{};
  bool want_recall{};  // value = recall
};
}  // namespace

void register_precision_recall(ganflow::Registry& r) {
  ganflow::NodeSpec s("precision_recall", ganflow::NodeKind::Metric,
                      "Improved precision/recall (Kynkäänniemi et al. 2019) with k-NN balls: accumulate(pred = "
                      "generated feature rows, target = real feature rows); value: precision (fidelity) or recall "
                      "(diversity).");
  using S = PrecisionRecallSettings;
  ganflow::Fields<S> f(s);
  f.add("k", &S::k, 3, "Neighbour that sets each ball's radius.").range(1, 100);
  f.add_enum("value", &S::want_recall, {{"precision", false}, {"recall", true}}, "precision", "What value() returns.");
  s.factory = [f](const ganflow::BuildContext& c) {
    PrecisionRecallSettings st = f.read(c.params());
    return std::make_shared<PrecisionRecallMetric>(st.k, st.want_recall);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
