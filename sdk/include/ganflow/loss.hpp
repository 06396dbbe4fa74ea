#pragma once
// Losses. Loss: (output, target), for learners and as building blocks.
// GenLoss and CritLoss see one GAN batch through CriticBatch: predictions, images and the
// critic itself, so gradient penalties (WGAN-GP, R1), relativistic losses (RaGAN) and
// feature matching fit.
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

// One GAN batch as a loss sees it.
// Critic batches: `fake` is detached from the generator; both predictions carry the critic's graph.
// Generator batches: `fake` is the generator's output (the gradient flows through it), `real`
// is the batch target (the real images; for a super-resolution generator, the high-res ones),
// and `real_pred` is an undefined tensor unless the loss's needs_real_pred() is true; then the
// real batch is scored by the frozen critic without a graph.
struct CriticBatch {
  const torch::Tensor& real_pred;
  const torch::Tensor& fake_pred;
  const torch::Tensor& real;
  const torch::Tensor& fake;
  // Scores images with this batch's labels on conditional runs: the real labels in critic
  // batches (gradient penalties score real or interpolated images), the generation labels in
  // generator batches. Returns the adversarial scores only (no ACGAN class logits).
  const std::function<torch::Tensor(const torch::Tensor&)>& critic;
  // Class-conditional runs (undefined otherwise): the real images' labels, the labels the fakes
  // were drawn for, and an ACGAN critic's class logits [bs, n_classes] for each (undefined when
  // the critic has no auxiliary classifier, or real_pred was not computed).
  torch::Tensor real_labels{}, fake_labels{}, real_class_logits{}, fake_class_logits{};
  // The critic batches the stage trained before this batch, the same on every rank and after a
  // resume: lazy regularisation (a penalty every N critic batches) counts with it. Since ABI 3.2.
  int64_t critic_steps = 0;
  // Scores images with the labels the fakes were drawn for, as `critic` does with the real ones:
  // a penalty at the fakes (R2) uses it. Null means `critic` (an unconditional run, or a batch
  // built without it); use fake_scorer(). Since ABI 3.3.
  const std::function<torch::Tensor(const torch::Tensor&)>* fake_critic = nullptr;
  const std::function<torch::Tensor(const torch::Tensor&)>& fake_scorer() const {
    return fake_critic ? *fake_critic : critic;
  }
};

class GANFLOW_API GenLoss : public Node {
 public:
  ~GenLoss() override;
  virtual torch::Tensor forward(const CriticBatch& b) = 0;
  // True costs one more critic forward per generator batch (no backward through it).
  virtual bool needs_real_pred() const { return false; }
};

class GANFLOW_API CritLoss : public Node {
 public:
  ~CritLoss() override;
  virtual torch::Tensor forward(const CriticBatch& b) = 0;
};

}  // namespace ganflow
