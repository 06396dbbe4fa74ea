#pragma once
// The feature space of the quality metrics: a frozen network that turns images into feature rows
// (fmnist_classifier, with class logits; torchscript_features, any TorchScript network).
#include <ganflow/node.hpp>

#include <torch/types.h>

#include <memory>
#include <string>

namespace ganflow_quality {

struct FeatureSet {
  torch::Tensor features;  // [n, d] float64 on the CPU
  torch::Tensor logits;    // [n, classes] float32 on the CPU; undefined when the network has no class head
};

class FeatureExtractor {
 public:
  virtual ~FeatureExtractor();
  // images [n, C, H, W] in [-1, 1] on any device; in eval mode, without gradients, `bs` at a time.
  virtual FeatureSet extract(const torch::Tensor& images, int64_t bs) = 0;
  virtual int64_t feature_dim() const = 0;
  // For logs: the weights, their hash, how images are prepared.
  virtual std::string describe() const = 0;
  // For reports and statistics files: everything that makes two feature spaces the same.
  virtual ganflow::json identity() const = 0;
  // False when the weights' recorded hash did not match (reports say so).
  virtual bool verified() const { return true; }
};

// The extractor on input `port`: a torchscript_features node, or an fmnist_classifier with
// loaded weights; else an Error.
std::shared_ptr<FeatureExtractor> require_extractor(const ganflow::BuildContext& c, const std::string& port);

}  // namespace ganflow_quality
