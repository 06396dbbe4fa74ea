#pragma once
// A model that takes class labels beside its input (class-conditional GANs). A plugin's model
// implements Model and this; the GAN stage, `ganflow generate` and the quality tools find it by
// this interface and call forward(x, labels); its one-argument forward should refuse to run.
// Labels are int64 [bs] in [0, n_classes()), on the model's device. Added in ABI 3.0.
#include <torch/types.h>

#include "ganflow/export.hpp"

namespace ganflow {

class Model;

class GANFLOW_API ConditionalModel {
 public:
  virtual ~ConditionalModel();
  virtual int64_t n_classes() const = 0;
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) = 0;
  // A critic with an auxiliary classifier (ACGAN): the last aux_classes() columns of its output
  // are class logits, which the GAN stage hands to the losses apart from the adversarial scores.
  virtual int64_t aux_classes() const { return 0; }
};

// m's forward(x, labels) when m is conditional, its forward(x) otherwise (labels unused).
GANFLOW_API torch::Tensor forward_with_labels(Model& m, const torch::Tensor& x, const torch::Tensor& labels);

// The error a conditional model's one-argument forward throws, naming the node.
GANFLOW_API void refuse_without_labels(const std::string& node);

}  // namespace ganflow
