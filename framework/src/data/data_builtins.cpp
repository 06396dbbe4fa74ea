#include "ganflow/framework/data/data_builtins.hpp"

#include "ganflow/framework/data/gan_item_list.hpp"
#include "ganflow/framework/data/item_list.hpp"

namespace ganflow {

void register_data_builtins(HostRegistry& registry) {
  registry.add(gan_item_list_spec());
  registry.add(item_list_spec());
}

}  // namespace ganflow
