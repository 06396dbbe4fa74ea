// Registers the data family: item sources and NoisyItem.
#include "crappify.hpp"
#include "fashion_mnist.hpp"
#include "ganflow/plugin.hpp"
#include "image_folder.hpp"
#include "noisy_item.hpp"
#include "paired_image_folder.hpp"

GANFLOW_PLUGIN("ganflow_data", "0.1.0") {
  using namespace ganflow::data;
  registry.add(fashion_mnist_spec());
  registry.add(image_folder_spec());
  registry.add(paired_image_folder_spec());
  registry.add(crappify_spec());
  registry.add(noisy_item_spec());
}
