// A test plugin with a valid descriptor but no registration entry point.
#include <ganflow/version.hpp>
#include <boost/config.hpp>
#include <torch/version.h>

extern "C" BOOST_SYMBOL_EXPORT __attribute__((section(GANFLOW_DESCRIPTOR_SECTION), used))
const ganflow_plugin_descriptor ganflow_plugin_desc = {
    GANFLOW_DESCRIPTOR_MAGIC, sizeof(ganflow_plugin_descriptor), GANFLOW_ABI_MAJOR, GANFLOW_ABI_MINOR,
    TORCH_VERSION_MAJOR,      TORCH_VERSION_MINOR,              _GLIBCXX_USE_CXX11_ABI, "no_entry", "1.0"};
