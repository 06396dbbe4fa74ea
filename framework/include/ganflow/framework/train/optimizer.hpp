#pragma once
// Optimiser settings shared by learner and GAN stages: Adam, RMSprop, SGD; weight decay
// either decoupled (fastai true_wd, applied to the active network only) or L2.
#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "ganflow/fields.hpp"

namespace ganflow {

struct OptimizerSettings {
  std::string kind = "adam";  // adam | rmsprop | sgd
  double beta1 = 0.9, beta2 = 0.99, eps = 1e-8, wd = 0.01;
  bool true_wd = true;  // decoupled: p *= 1 - lr*wd before the step
};

// Declares opt, betas, eps, wd, true_wd on a stage spec with the given defaults.
Fields<OptimizerSettings> optimizer_fields(NodeSpec& spec, const OptimizerSettings& defaults);

// An optimiser over `params` plus what the loop needs to steer it. `base_lr` is the lr a
// schedule scales (each of a GAN's two optimisers has its own).
class Optim {
 public:
  Optim(const OptimizerSettings& s, double base_lr, std::vector<torch::Tensor> params);
  void step();       // decoupled weight decay (if any), then the step (Adam: multi-tensor ops)
  void zero_grad();  // grads to None: no memset, and frozen params stay without grads
  double lr() const;
  double base_lr() const { return base_lr_; }
  void set_lr(double lr);
  void scale_lr(double factor);
  void set_momentum(double beta1);  // Adam beta1, SGD/RMSprop momentum (one-cycle)
  torch::optim::Optimizer& torch_optimizer() { return *opt_; }
  const std::vector<torch::Tensor>& params() const { return params_; }

 private:
  OptimizerSettings s_;
  double base_lr_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
};

}  // namespace ganflow
