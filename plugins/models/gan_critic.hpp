#pragma once
#include <ganflow/ganflow.hpp>

namespace ganflow_models {
void register_gan_critic(ganflow::Registry& registry);
}
