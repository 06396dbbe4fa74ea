// ganflow_models: fastai's DCGAN-style basic_generator and basic_critic.
#include "basic_critic.hpp"
#include "basic_generator.hpp"

GANFLOW_PLUGIN("ganflow_models", "0.1.0") {
  ganflow_models::register_basic_generator(registry);
  ganflow_models::register_basic_critic(registry);
}
