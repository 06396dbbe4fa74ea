#pragma once
// A callback that augments every image the critic sees (diff_augment, ada). The GAN stage finds
// it among its callbacks by this interface and puts real and fake images through augment()
// before each critic forward, in both modes and inside the losses' critic calls (gradient
// penalties), so the generator's gradient flows through the same random transforms. Added in
// ABI 2.2 (a new interface; existing vtables unchanged).
#include <torch/types.h>

#include "ganflow/export.hpp"

namespace ganflow {

class GANFLOW_API CriticAugment {
 public:
  virtual ~CriticAugment();
  // A fresh random draw per call; differentiable in x.
  virtual torch::Tensor augment(const torch::Tensor& x) = 0;
  // The critic's raw scores of the (augmented) real images on each critic training step,
  // detached: ADA steers its probability by their signs.
  virtual void observe_real(const torch::Tensor& /*real_pred*/) {}
  // The probability each transform is applied to an image, now (logged as augment_p).
  virtual double probability() const = 0;
};

}  // namespace ganflow
