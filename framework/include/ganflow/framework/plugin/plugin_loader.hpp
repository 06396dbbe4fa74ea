#pragma once
// Finds plugin libraries on the search path, checks each descriptor before loading, loads
// them with Boost.DLL and runs their registration. Libraries are never unloaded.
#include <string>
#include <vector>

#include "ganflow/framework/plugin/host_registry.hpp"

namespace ganflow {

// GANFLOW_PLUGIN_PATH (colon-separated) first, then <program dir>/../lib/ganflow/plugins
// (the build tree and the install prefix share this layout).
std::vector<std::string> plugin_search_path();

// Loads one library into `registry`. Throws Error naming the file on any problem:
// bad descriptor, version mismatch, dlopen failure, no entry point, registration failure.
void load_plugin_library(const std::string& path, HostRegistry& registry);

// Loads every lib*.so in the given folders (sorted, each file once). A library that fails is
// refused (registry.refused(), with the reason) and the others still load. Returns the files loaded.
std::vector<std::string> load_plugins(const std::vector<std::string>& dirs, HostRegistry& registry);

}  // namespace ganflow
