#pragma once
// Losses. Loss: (output, target), for learners and as building blocks.
// GenLoss: fastai's generator loss (fake_pred, output, target).
// CritLoss: sees predictions, images and the critic itself, so gradient penalties
// (WGAN-GP, R1) fit.
#include "ganflow/export.hpp"
#include <torch/types.h>

#include <functional>

#include "ganflow/node.hpp"

namespace ganflow {

class GANFLOW_API Loss : public Node {
 public:
  ~Loss() override;
  virtual torch::Tensor forward(const torch::Tensor& output, const torch::Tensor& target) = 0;
};

class GANFLOW_API GenLoss : public Node {
 public:
  ~GenLoss() override;
  virtual torch::Tensor forward(const torch::Tensor& fake_pred, const torch::Tensor& output,
                                const torch::Tensor& target) = 0;
};

struct CriticBatch {
  const torch::Tensor& real_pred;
  const torch::Tensor& fake_pred;
  const torch::Tensor& real;  // real images (no grad)
  const torch::Tensor& fake;  // generated images (detached from the generator)
  const std::function<torch::Tensor(const torch::Tensor&)>& critic;
};

class GANFLOW_API CritLoss : public Node {
 public:
  ~CritLoss() override;
  virtual torch::Tensor forward(const CriticBatch& b) = 0;
};

}  // namespace ganflow
