#pragma once
#include <ganflow/ganflow.hpp>

namespace ganflow_switchers {
void register_fixed_gan_switcher(ganflow::Registry& r);
void register_adaptive_gan_switcher(ganflow::Registry& r);
}  // namespace ganflow_switchers
