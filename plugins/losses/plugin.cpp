// ganflow_losses: fastai's GAN losses (gan_loss_from_func, wgan) plus WGAN-GP, R1, hinge, LSGAN and RaGAN.
#include "registrations.hpp"

GANFLOW_PLUGIN("ganflow_losses", "0.1.0") {
  using namespace ganflow_losses;
  register_bce_with_logits(registry);
  register_flat_losses(registry);
  register_adaptive_loss(registry);
  register_gan_gen_loss(registry);
  register_gan_crit_loss(registry);
  register_wasserstein(registry);
  register_wgan_gp(registry);
  register_r1(registry);
  register_hinge(registry);
  register_lsgan(registry);
  register_ragan(registry);
}
