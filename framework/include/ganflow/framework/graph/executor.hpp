#pragma once
// Builds a validated graph's nodes in dependency order and runs its stages.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ganflow/framework/graph/graph.hpp"
#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/stage.hpp"

namespace ganflow {

struct BuiltGraph {
  std::map<std::string, std::shared_ptr<Node>> nodes;
  std::vector<std::string> order;  // build (and stage run) order
};

// A node's seed: the graph seed mixed with the node name, so adding a node elsewhere
// does not change another node's random stream.
uint64_t node_seed(uint64_t graph_seed, const std::string& node_name);

// A node's factory failed: a configuration problem (exit code 2), not a runtime failure.
class NodeBuildError : public Error {
 public:
  using Error::Error;
};

// Builds every node in dependency order; with a RunContext each Stage runs as soon as it is
// built, so nodes that come after a stage (through its inputs) see what it did.
BuiltGraph execute_graph(const Graph& g, const HostRegistry& registry, RunContext* ctx);
inline BuiltGraph build_graph(const Graph& g, const HostRegistry& registry) { return execute_graph(g, registry, nullptr); }

}  // namespace ganflow
