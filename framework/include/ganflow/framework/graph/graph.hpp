#pragma once
// A pipeline graph as read from JSON: named nodes with a type, params and inputs.
#include <map>
#include <string>
#include <vector>

#include "ganflow/error.hpp"
#include "ganflow/params.hpp"

namespace ganflow {

struct GraphNode {
  std::string name, type;
  std::string doc;  // the author's note, kept in the saved graph.json
  json params = json::object();
  std::map<std::string, std::vector<std::string>> inputs;  // port -> node names
  bool input_is_list(const std::string& port) const { return list_ports.count(port) > 0; }
  std::map<std::string, bool> list_ports;                  // ports written as JSON arrays
};

struct Graph {
  std::string name = "graph";
  std::string doc;
  std::string file;       // where it was read from ("" for text)
  uint64_t seed = 0;
  bool deterministic = false;
  int threads = 0;        // 0: all cores
  std::string device = "auto";
  // Data-parallel runs: how long a rank waits for the others (rendezvous, each step's
  // collectives) before it stops with an error naming the cause.
  int dist_timeout_s = 60;
  std::vector<GraphNode> nodes;  // sorted by name

  GraphNode* find(const std::string& name);
  const GraphNode* find(const std::string& name) const;
  json to_json() const;  // the resolved graph, as saved with each run
};

// All problems of a graph at once, one line each ("/nodes/x/params/y: ...").
class GraphError : public Error {
 public:
  explicit GraphError(std::vector<std::string> lines);
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

// Malformed JSON gives "file:line:column: ..."; structural problems are all reported.
Graph parse_graph(const std::string& text, const std::string& file = "");
Graph load_graph(const std::string& path);

}  // namespace ganflow
