#pragma once
#include <ganflow/ganflow.hpp>

namespace ganflow_callbacks {
void register_gan_discriminative_lr(ganflow::Registry& r);
}
