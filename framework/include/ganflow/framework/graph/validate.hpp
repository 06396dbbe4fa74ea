#pragma once
// Graph checks against the registry, --set overrides and the build order.
#include <string>
#include <vector>

#include "ganflow/framework/graph/graph.hpp"
#include "ganflow/framework/plugin/host_registry.hpp"

namespace ganflow {

// Applies `node.param=value` (typed by the param's declared type) and top-level `key=value`.
// `node.type=T` swaps the node's type (its params restart from T's defaults), so swapping a
// switcher or loss is one flag: --set switcher.type=adaptive_gan_switcher.
void apply_overrides(Graph& g, const std::vector<std::string>& sets, const HostRegistry& registry);

// Checks every node against its registered metadata and throws GraphError with ALL problems.
// On success every param default is filled in (the resolved graph).
void validate_graph(Graph& g, const HostRegistry& registry);

// Node names in dependency order (inputs first; ties by name). Throws GraphError on a cycle.
std::vector<std::string> build_order(const Graph& g);

}  // namespace ganflow
