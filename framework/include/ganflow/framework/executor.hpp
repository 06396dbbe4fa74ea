#pragma once
// Builds a validated graph's nodes in dependency order and runs its stages.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ganflow/framework/graph.hpp"
#include "ganflow/framework/host_registry.hpp"
#include "ganflow/stage.hpp"

namespace ganflow {

struct BuiltGraph {
  std::map<std::string, std::shared_ptr<Node>> nodes;
  std::vector<std::string> order;  // build (and stage run) order
};

// A node's seed: the graph seed mixed with the node name, so adding a node elsewhere
// does not change another node's random stream.
uint64_t node_seed(uint64_t graph_seed, const std::string& node_name);

// Throws Error naming the node when a factory fails.
BuiltGraph build_graph(const Graph& g, const HostRegistry& registry);

// Runs every Stage node in build order.
void run_stages(BuiltGraph& built, RunContext& ctx);

}  // namespace ganflow
