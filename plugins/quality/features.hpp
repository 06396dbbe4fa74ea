#pragma once
// Running images through the frozen extractor: features (float64, CPU) and class logits.
#include <torch/types.h>

#include <memory>
#include <string>

#include "fmnist_classifier.hpp"

namespace ganflow_quality {

struct FeatureSet {
  torch::Tensor features;  // [n, d] float64 on the CPU
  torch::Tensor logits;    // [n, 10] float32 on the CPU
};

// In eval mode, without gradients, `bs` images at a time, on the images' device.
FeatureSet extract_features(FmnistClassifier& extractor, const torch::Tensor& images, int64_t bs);

// The extractor on input `port`: an fmnist_classifier with loaded weights, else an Error.
std::shared_ptr<FmnistClassifier> require_extractor(const ganflow::BuildContext& c, const std::string& port);

// "sha256 <first 12 hex> (verified|UNVERIFIED), test accuracy x" for logs and reports.
std::string describe_extractor(const FmnistClassifier& e);

}  // namespace ganflow_quality
