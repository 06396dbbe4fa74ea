#pragma once
// Markdown reference of node types, generated from registry metadata (docs/graph-format.md
// embeds it; a test checks the file matches, so the docs cannot drift).
#include <string>

#include "ganflow/framework/plugin/host_registry.hpp"

namespace ganflow {
std::string describe_markdown(const NodeSpec& spec);
std::string reference_markdown(const HostRegistry& registry);
}  // namespace ganflow
