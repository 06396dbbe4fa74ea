#pragma once
// Base of the quality metric nodes: accumulate(pred, target) appends feature rows of two sets
// (pred: e.g. generated, target: real), [n, d] each, kept on the CPU in float64; value()
// compares the two sets once they are complete.
#include <torch/torch.h>

#include <vector>

#include "ganflow/metric.hpp"

namespace ganflow_quality {

class FeatureSetMetric : public ganflow::Metric {
 public:
  void reset() override { a_.clear(), b_.clear(); }
  void accumulate(const torch::Tensor& pred, const torch::Tensor& target) override {
    if (pred.dim() != 2 || (target.defined() && target.numel() > 0 && target.dim() != 2))
      throw ganflow::Error("expects feature rows [n, d] (pred: one set, target: the other), got " +
                               c10::str(pred.sizes()) + " and " +
                               (target.defined() ? c10::str(target.sizes()) : std::string("undefined")),
                           name());
    a_.push_back(pred.detach().to(torch::kCPU, torch::kDouble));
    if (target.defined() && target.numel() > 0) b_.push_back(target.detach().to(torch::kCPU, torch::kDouble));
  }

 protected:
  torch::Tensor set_a() const { return joined(a_, "pred"); }
  torch::Tensor set_b() const { return joined(b_, "target"); }

 private:
  torch::Tensor joined(const std::vector<torch::Tensor>& parts, const char* which) const {
    if (parts.empty()) throw ganflow::Error(std::string("no ") + which + " rows accumulated", name());
    return torch::cat(parts);
  }
  std::vector<torch::Tensor> a_, b_;
};

}  // namespace ganflow_quality
