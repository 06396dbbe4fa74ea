#pragma once
// Building ganflow_quality nodes in tests: test_support's registry lists the original plugin
// families only, so these use gan_harness's registry (every library in the build's plugin dir).
#include <memory>
#include <stdexcept>
#include <string>

#include "gan_harness.hpp"

namespace quality_test {

inline ganflow::BuiltGraph build_nodes(const std::string& nodes_json) {
  ganflow::Graph g = ganflow::parse_graph(R"({"name": "test", "nodes": )" + nodes_json + "}");
  ganflow::validate_graph(g, gantest::registry());
  return ganflow::build_graph(g, gantest::registry());
}

template <class T> std::shared_ptr<T> build_node(const std::string& nodes_json, const std::string& name) {
  auto node = std::dynamic_pointer_cast<T>(build_nodes(nodes_json).nodes.at(name));
  if (!node) throw std::runtime_error("node '" + name + "' does not implement the expected interface");
  return node;
}

template <class T> std::shared_ptr<T> build_one(const std::string& type, const std::string& params_json = "{}") {
  return build_node<T>(R"({"n": {"type": ")" + type + R"(", "params": )" + params_json + "}}", "n");
}

inline std::string build_error(const std::string& nodes_json) {
  try {
    build_nodes(nodes_json);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace quality_test
