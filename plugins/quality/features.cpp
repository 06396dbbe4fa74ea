#include "features.hpp"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>

namespace ganflow_quality {

FeatureSet extract_features(FmnistClassifier& extractor, const torch::Tensor& images, int64_t bs) {
  torch::NoGradGuard ng;
  extractor.module().to(images.device());
  extractor.module().eval();
  std::vector<torch::Tensor> f, l;
  for (int64_t s = 0; s < images.size(0); s += bs) {
    torch::Tensor x = images.narrow(0, s, std::min(bs, images.size(0) - s));
    torch::Tensor feat = extractor.features(x);
    l.push_back(extractor.logits_from_features(feat).to(torch::kCPU, torch::kFloat));
    f.push_back(feat.to(torch::kCPU, torch::kDouble));
  }
  return {torch::cat(f), torch::cat(l)};
}

std::shared_ptr<FmnistClassifier> require_extractor(const ganflow::BuildContext& c, const std::string& port) {
  auto nodes = c.inputs(port);
  auto e = nodes.empty() ? nullptr : std::dynamic_pointer_cast<FmnistClassifier>(nodes.front());
  if (!e)
    throw ganflow::Error("input '" + port + "' must be an fmnist_classifier node (the frozen feature extractor)",
                         c.node_name());
  if (!e->has_weights())
    throw ganflow::Error("the extractor '" + e->name() +
                             "' has no trained weights: set its weights param (e.g. data/fmnist_classifier.pt)",
                         c.node_name());
  return e;
}

std::string describe_extractor(const FmnistClassifier& e) {
  char acc[32];
  std::snprintf(acc, sizeof acc, "%.4f", e.recorded_accuracy());
  return e.weights() + " sha256 " + e.sha256().substr(0, 12) + (e.verified() ? " (verified)" : " (UNVERIFIED)") +
         ", recorded test accuracy " + (std::isnan(e.recorded_accuracy()) ? std::string("unknown") : acc) +
         ", feature_dim " + std::to_string(e.feature_dim());
}

}  // namespace ganflow_quality
