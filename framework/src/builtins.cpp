#include "ganflow/framework/builtins.hpp"

namespace ganflow {

void register_builtins(HostRegistry& registry) {
  registry.set_current_library("builtin");
}

}  // namespace ganflow
