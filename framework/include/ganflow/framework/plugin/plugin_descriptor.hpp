#pragma once
// Reads a plugin library's descriptor from its ELF file without loading it, and checks it
// against this host's SDK ABI, LibTorch and C++ ABI.
#include <string>

#include "ganflow/version.hpp"

namespace ganflow {

// Throws Error naming the file when the file is not an ELF library or has no descriptor.
ganflow_plugin_descriptor read_plugin_descriptor(const std::string& path);

// "" when the library may be loaded, else one line naming the file and both versions.
std::string check_plugin_descriptor(const ganflow_plugin_descriptor& d, const std::string& path);

}  // namespace ganflow
