// ganflow_callbacks: general training callbacks (switchers live in ganflow_switchers).
#include "gan_discriminative_lr.hpp"

GANFLOW_PLUGIN("ganflow_callbacks", "0.1.0") { ganflow_callbacks::register_gan_discriminative_lr(registry); }
