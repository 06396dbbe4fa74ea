#pragma once
// fmnist_classifier: the small CNN whose penultimate layer is ganflow's feature space for
// Fashion-MNIST quality metrics (no Inception weights can be downloaded here). Trained by
// graphs/train_fmnist_classifier.json; the frozen weights are fingerprinted by SHA-256 and the
// node refuses weights whose hash differs from the recorded one unless `verify` is false.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include <string>

#include "ganflow/model.hpp"
#include "ganflow/node.hpp"

#include "features.hpp"

namespace ganflow_quality {

struct ClassifierNet : torch::nn::Module {
  explicit ClassifierNet(int64_t feature_dim);
  torch::nn::Sequential body{nullptr};  // images [n, 1, 32, 32] in [-1, 1] -> features [n, feature_dim]
  torch::nn::Sequential head{nullptr};  // features -> 10 logits
};

class FmnistClassifier : public ganflow::Model, public FeatureExtractor {
 public:
  enum class Output { Logits, Features };
  FmnistClassifier(int64_t feature_dim, Output output);

  torch::nn::Module& module() override { return *net_; }
  torch::Tensor forward(const torch::Tensor& x) override;
  torch::Tensor features(const torch::Tensor& x) { return net_->body->forward(x); }
  torch::Tensor logits_from_features(const torch::Tensor& f) { return net_->head->forward(f); }
  int64_t feature_dim() const override { return feature_dim_; }
  FeatureSet extract(const torch::Tensor& images, int64_t bs) override;
  // "<weights> sha256 <first 12 hex> (verified|UNVERIFIED), recorded test accuracy x, feature_dim d".
  std::string describe() const override;
  ganflow::json identity() const override;

  // Loads `path` (a state-dict pickle as the learner stage writes it) after checking its SHA-256
  // against the record file (JSON with "sha256"), unless `verify` is false.
  void load_weights(const std::string& path, const std::string& record, bool verify, const std::string& node);
  bool has_weights() const { return !weights_.empty(); }
  bool verified() const override { return verified_; }
  const std::string& weights() const { return weights_; }
  const std::string& sha256() const { return sha256_; }
  double recorded_accuracy() const { return accuracy_; }  // NaN when the record has none

 private:
  std::shared_ptr<ClassifierNet> net_;
  int64_t feature_dim_;
  Output output_;
  std::string weights_, sha256_;
  bool verified_ = false;
  double accuracy_;
};

// Relative paths are tried in the working folder, then in the source tree (data/ lives there).
std::string resolve_data_path(const std::string& path);

}  // namespace ganflow_quality
