#pragma once
// One row of quality numbers (a sample set against the real reference set), the printed table
// and its JSON form. The evaluate stage scores the generator and every baseline with this code.
#include <torch/types.h>

#include <string>
#include <vector>

#include "class_histogram.hpp"
#include "features.hpp"
#include "inception_score.hpp"
#include "ganflow/params.hpp"
#include "kid.hpp"
#include "precision_recall.hpp"
#include <optional>

namespace ganflow_quality {

struct QualitySettings {  // the evaluate stage's params (declared there, with their defaults)
  int64_t kid_subsets{}, kid_subset_size{}, k{}, is_splits{};
  double min_share{};
  uint64_t seed{};
};

struct Reference {  // the real set every row is compared with
  FeatureSet set;
  torch::Tensor radii;  // k-NN radii of its features, for precision
};

struct QualityRow {
  std::string name;
  int64_t n = 0;
  double fd = 0;
  KidResult kid;
  std::optional<ClassHistogram> hist;  // none when the feature network has no class logits
  std::optional<InceptionScore> is;    // likewise
  PrecisionRecall pr;
};

Reference make_reference(FeatureSet real, int64_t k);
QualityRow score_set(const std::string& name, const FeatureSet& set, const Reference& ref, const QualitySettings& s);
std::vector<std::string> format_table(const std::vector<QualityRow>& rows);
ganflow::json to_json(const QualityRow& row);

}  // namespace ganflow_quality
