#pragma once
// One register function per loss file; plugin.cpp calls them all.
#include <ganflow/ganflow.hpp>

namespace ganflow_losses {
void register_bce_with_logits(ganflow::Registry& r);
void register_flat_losses(ganflow::Registry& r);  // mse, l1
void register_adaptive_loss(ganflow::Registry& r);
void register_gan_gen_loss(ganflow::Registry& r);
void register_gan_crit_loss(ganflow::Registry& r);
void register_wasserstein(ganflow::Registry& r);  // wasserstein, noop
void register_wgan_gp(ganflow::Registry& r);
void register_r1(ganflow::Registry& r);
void register_hinge(ganflow::Registry& r);  // hinge_gen, hinge_crit
void register_lsgan(ganflow::Registry& r);  // lsgan_gen, lsgan_crit
void register_ragan(ganflow::Registry& r);  // ragan_gen, ragan_crit
}  // namespace ganflow_losses
