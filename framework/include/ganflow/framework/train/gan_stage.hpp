#pragma once
// The GAN stage: fastai's GANLearner + GANModule + GANLoss + GANTrainer, with v1's two
// optimisers (only the active one steps, so the frozen network never drifts) and the
// bugs of the spec fixed (gen_first honoured, switchers see training batches only,
// loss columns kept with show_img false, generator loss called (fake_pred, output, target)).
#include "ganflow/framework/plugin/host_registry.hpp"

namespace ganflow {
// Registers gan (GANLearner), gan_wgan (GANLearner.wgan), gan_from_learners.
void register_gan_stages(HostRegistry& registry);
}  // namespace ganflow
