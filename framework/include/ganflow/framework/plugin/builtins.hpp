#pragma once
// Node types that live in the framework itself (data loaders, stages). They are in the
// same registry as plugin types and a graph uses them the same way.
#include "ganflow/framework/plugin/host_registry.hpp"

namespace ganflow {
void register_builtins(HostRegistry& registry);
}
