#pragma once
// A GAN stage's critic, for `ganflow export --critic` (a discriminator to score or filter
// samples with, or to fine-tune in PyTorch). Framework-only: the SDK's TrainedGenerator is what
// plugin stages implement, and it stays as it is.
#include <memory>
#include <string>

#include "ganflow/model.hpp"

namespace ganflow {

class TrainedCritic {
 public:
  virtual ~TrainedCritic() = default;
  virtual std::shared_ptr<Model> critic() const = 0;
  // The critic's final weights in the run folder (a state-dict pickle), e.g. "gan_critic.pt";
  // until the stage finishes, its last checkpoint holds them under the key "critic".
  virtual std::string critic_file() const = 0;
};

}  // namespace ganflow
