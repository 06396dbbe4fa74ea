#pragma once
#include <ganflow/ganflow.hpp>

namespace ganflow_models {
void register_basic_generator(ganflow::Registry& registry);
}
