// ganflow_models: fastai's DCGAN-style basic_generator and basic_critic; the superres gan_critic and unet_generator.
#include "basic_critic.hpp"
#include "basic_generator.hpp"
#include "gan_critic.hpp"
#include "unet_generator.hpp"

GANFLOW_PLUGIN("ganflow_models", "0.1.0") {
  ganflow_models::register_basic_generator(registry);
  ganflow_models::register_basic_critic(registry);
  ganflow_models::register_gan_critic(registry);
  ganflow_models::register_unet_generator(registry);
}
