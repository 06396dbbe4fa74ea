#pragma once
#include <ganflow/ganflow.hpp>

namespace ganflow_models {
void register_unet_generator(ganflow::Registry& registry);
}
