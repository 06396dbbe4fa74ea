// ganflow_switchers: callbacks that decide after each training batch whether G and C swap.
#include "registrations.hpp"

GANFLOW_PLUGIN("ganflow_switchers", "0.1.0") {
  ganflow_switchers::register_fixed_gan_switcher(registry);
  ganflow_switchers::register_adaptive_gan_switcher(registry);
}
