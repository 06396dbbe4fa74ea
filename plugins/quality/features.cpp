#include "features.hpp"

#include "fmnist_classifier.hpp"

namespace ganflow_quality {

FeatureExtractor::~FeatureExtractor() = default;

std::shared_ptr<FeatureExtractor> require_extractor(const ganflow::BuildContext& c, const std::string& port) {
  auto nodes = c.inputs(port);
  auto e = nodes.empty() ? nullptr : std::dynamic_pointer_cast<FeatureExtractor>(nodes.front());
  if (!e)
    throw ganflow::Error("input '" + port + "' must be a feature network: torchscript_features or fmnist_classifier",
                         c.node_name());
  if (auto f = std::dynamic_pointer_cast<FmnistClassifier>(e); f && !f->has_weights())
    throw ganflow::Error("the extractor '" + f->name() +
                             "' has no trained weights: set its weights param (e.g. data/fmnist_classifier.pt)",
                         c.node_name());
  return e;
}

}  // namespace ganflow_quality
