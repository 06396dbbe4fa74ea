#include "ganflow/framework/plugin/builtins.hpp"

#include "ganflow/framework/data/data_builtins.hpp"
#include "ganflow/framework/train/gan_stage.hpp"
#include "ganflow/framework/train/learner_stage.hpp"

namespace ganflow {

void register_builtins(HostRegistry& registry) {
  registry.set_current_library("builtin");
  register_data_builtins(registry);
  register_learner_stage(registry);
  register_gan_stages(registry);
}

}  // namespace ganflow
