#include "quality_report.hpp"

#include <torch/torch.h>

#include <cstdio>

#include "fd.hpp"

namespace ganflow_quality {

Reference make_reference(FeatureSet real, int64_t k) {
  torch::Tensor radii = knn_radii(real.features, k);
  return {std::move(real), radii};
}

QualityRow score_set(const std::string& name, const FeatureSet& set, const Reference& ref, const QualitySettings& s) {
  QualityRow r;
  r.name = name;
  r.n = set.features.size(0);
  r.fd = frechet_distance(set.features, ref.set.features);
  r.kid = kid(set.features, ref.set.features, s.kid_subsets, s.kid_subset_size, s.seed);
  if (set.logits.defined()) {
    r.hist = class_histogram(set.logits, s.min_share);
    r.is = inception_score(set.logits, s.is_splits);
  }
  r.pr = precision_recall(ref.set.features, ref.radii, set.features, s.k);
  return r;
}

std::vector<std::string> format_table(const std::vector<QualityRow>& rows) {
  std::vector<std::string> out;
  char line[256];
  std::snprintf(line, sizeof line, "%-22s %7s %11s %22s %7s %5s %16s %9s %7s", "set", "N", "FD", "KID (mean +- std)",
                "KL", "modes", "IS (mean +- std)", "precision", "recall");
  out.push_back(line);
  for (const auto& r : rows) {
    char kl[16] = "    n/a", modes[16] = "  n/a", is[32] = "             n/a";
    if (r.hist) {
      std::snprintf(kl, sizeof kl, "%7.4f", r.hist->kl_uniform);
      std::snprintf(modes, sizeof modes, "%5lld", (long long)r.hist->modes);
    }
    if (r.is) std::snprintf(is, sizeof is, "%7.4f +- %6.4f", r.is->mean, r.is->std);
    std::snprintf(line, sizeof line, "%-22s %7lld %11.3f %11.5f +- %7.5f %s %s %s %9.4f %7.4f", r.name.c_str(),
                  (long long)r.n, r.fd, r.kid.mean, r.kid.std, kl, modes, is, r.pr.precision, r.pr.recall);
    out.push_back(line);
  }
  return out;
}

ganflow::json to_json(const QualityRow& r) {
  return {{"set", r.name},
          {"n", r.n},
          {"fd", r.fd},
          {"kid_mean", r.kid.mean},
          {"kid_std", r.kid.std},
          {"kid_subsets", r.kid.subsets},
          {"kid_subset_size", r.kid.subset_size},
          {"kl_uniform", r.hist ? ganflow::json(r.hist->kl_uniform) : ganflow::json(nullptr)},
          {"modes", r.hist ? ganflow::json(r.hist->modes) : ganflow::json(nullptr)},
          {"class_counts", r.hist ? ganflow::json(r.hist->counts) : ganflow::json(nullptr)},
          {"is_mean", r.is ? ganflow::json(r.is->mean) : ganflow::json(nullptr)},
          {"is_std", r.is ? ganflow::json(r.is->std) : ganflow::json(nullptr)},
          {"is_splits", r.is ? ganflow::json(r.is->splits) : ganflow::json(nullptr)},
          {"precision", r.pr.precision},
          {"recall", r.pr.recall}};
}

}  // namespace ganflow_quality
