#pragma once
// A torch module whose forward takes class labels beside its input (the networks of the
// class-conditional generators and critics), and the model node that wraps one.
#include <ganflow/conditional_model.hpp>
#include <ganflow/model.hpp>

#include <torch/nn/module.h>

#include <functional>
#include <memory>

#include "class_labels.hpp"

namespace ganflow_models {

class LabelledNet : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) = 0;
};

// check_input throws for an input the network cannot take (naming the node it is given).
class LabelledNetModel : public ganflow::Model, public ganflow::ConditionalModel {
 public:
  using InputCheck = std::function<void(const torch::Tensor&, const std::string& node)>;
  LabelledNetModel(std::shared_ptr<LabelledNet> net, int64_t n_classes, int64_t aux_classes, InputCheck check_input)
      : net_(std::move(net)), n_classes_(n_classes), aux_classes_(aux_classes), check_input_(std::move(check_input)) {}
  torch::nn::Module& module() override { return *net_; }
  torch::Tensor forward(const torch::Tensor&) override {
    ganflow::refuse_without_labels(name());
    return {};
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) override {
    check_input_(x, name());
    check_labels(labels, x.size(0), n_classes_, name());
    return net_->forward(x, labels);
  }
  int64_t n_classes() const override { return n_classes_; }
  int64_t aux_classes() const override { return aux_classes_; }

 private:
  std::shared_ptr<LabelledNet> net_;
  int64_t n_classes_, aux_classes_;
  InputCheck check_input_;
};

}  // namespace ganflow_models
