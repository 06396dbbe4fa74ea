#pragma once
// Model: a torch module with one tensor in and one tensor out.
#include "ganflow/export.hpp"
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include "ganflow/node.hpp"

namespace ganflow {

class GANFLOW_API Model : public Node {
 public:
  ~Model() override;
  virtual torch::nn::Module& module() = 0;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

// The common case: the model is a Sequential.
class GANFLOW_API SequentialModel : public Model {
 public:
  explicit SequentialModel(torch::nn::Sequential seq) : seq_(std::move(seq)) {}
  ~SequentialModel() override;
  torch::nn::Module& module() override { return *seq_; }
  torch::Tensor forward(const torch::Tensor& x) override { return seq_->forward(x); }
  torch::nn::Sequential& sequential() { return seq_; }

 private:
  torch::nn::Sequential seq_;
};

}  // namespace ganflow
