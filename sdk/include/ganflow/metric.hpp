#pragma once
// Metric: accumulates over an epoch's batches (on the device), reads out once.
#include "ganflow/export.hpp"
#include <torch/types.h>

#include "ganflow/node.hpp"

namespace ganflow {

class GANFLOW_API Metric : public Node {
 public:
  ~Metric() override;
  virtual void reset() = 0;
  virtual void accumulate(const torch::Tensor& pred, const torch::Tensor& target) = 0;
  virtual double value() const = 0;
};

}  // namespace ganflow
