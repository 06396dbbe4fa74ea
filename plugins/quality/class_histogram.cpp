#include "class_histogram.hpp"

#include <torch/torch.h>

#include <cmath>

#include "feature_sets.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

ClassHistogram class_histogram(const torch::Tensor& logits, double min_share) {
  if (logits.dim() != 2 || logits.size(0) == 0)
    throw ganflow::Error("class histogram: expects logits [n, C] with n >= 1, got " + c10::str(logits.sizes()));
  const int64_t n = logits.size(0), c = logits.size(1);
  torch::Tensor counts = torch::bincount(logits.detach().argmax(1).to(torch::kCPU), {}, c);
  ClassHistogram h;
  for (int64_t k = 0; k < c; ++k) {
    int64_t v = counts[k].item<int64_t>();
    h.counts.push_back(v);
    double p = double(v) / double(n);
    if (p > 0) h.kl_uniform += p * std::log(p * double(c));
    if (p >= min_share) ++h.modes;
  }
  return h;
}

namespace {
class ClassHistogramMetric : public FeatureSetMetric {
 public:
  ClassHistogramMetric(double min_share, bool want_modes) : min_share_(min_share), want_modes_(want_modes) {}
  double value() const override {
    ClassHistogram h = class_histogram(set_a(), min_share_);
    return want_modes_ ? double(h.modes) : h.kl_uniform;
  }

 private:
  double min_share_;
  bool want_modes_;
};

struct ClassHistogramSettings {  // read from the params register_class_histogram declares (their defaults are there)
  double min_share{};
  bool want_modes{};  // value = modes
};
}  // namespace

void register_class_histogram(ganflow::Registry& r) {
  ganflow::NodeSpec s("class_histogram", ganflow::NodeKind::Metric,
                      "Mode coverage from classifier logits: accumulate(pred = logits [n, C], target ignored); "
                      "value: KL(predicted-class histogram || uniform) in nats, or the modes hit.");
  using S = ClassHistogramSettings;
  ganflow::Fields<S> f(s);
  f.add("min_share", &S::min_share, 0.01, "A class counts as hit when it holds at least this share of the samples.")
      .range(0, 1);
  f.add_enum("value", &S::want_modes, {{"kl", false}, {"modes", true}}, "kl", "What value() returns.");
  s.factory = [f](const ganflow::BuildContext& c) {
    ClassHistogramSettings st = f.read(c.params());
    return std::make_shared<ClassHistogramMetric>(st.min_share, st.want_modes);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
