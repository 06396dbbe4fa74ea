#pragma once
// The framework's data node types: gan_item_list and item_list.
#include "ganflow/framework/plugin/host_registry.hpp"

namespace ganflow {
void register_data_builtins(HostRegistry& registry);
}
