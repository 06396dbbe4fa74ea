#pragma once
// Runs a graph in-process with the real plugins (build tree) and the test spies.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "ganflow/framework/builtins.hpp"
#include "ganflow/framework/device.hpp"
#include "ganflow/framework/executor.hpp"
#include "ganflow/framework/plugin_loader.hpp"
#include "ganflow/framework/run_context.hpp"
#include "ganflow/framework/validate.hpp"

namespace gantest {

inline ganflow::HostRegistry& registry() {
  static ganflow::HostRegistry* reg = [] {
    auto* r = new ganflow::HostRegistry();
    ganflow::register_builtins(*r);
    ganflow::load_plugins({std::string(GANFLOW_BINARY_DIR) + "/lib/ganflow/plugins",
                           std::string(GANFLOW_TEST_PLUGIN_DIR) + "/gf_test_spies"},
                          *r);
    return r;
  }();
  return *reg;
}

inline std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("ganflow_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// The device of run_graph: the CPU, or GANFLOW_TEST_DEVICE (scripts/gpu-check sets cuda).
inline torch::Device test_device() {
  const char* d = std::getenv("GANFLOW_TEST_DEVICE");
  return ganflow::resolve_device(d && *d ? d : "cpu");
}

// Validates, builds and runs `graph` (JSON text) on `device` with its output in `dir`.
inline ganflow::BuiltGraph run_graph(const std::string& graph, const std::string& dir,
                                     torch::Device device = test_device()) {
  ganflow::Graph g = ganflow::parse_graph(graph);
  ganflow::validate_graph(g, registry());
  torch::manual_seed(g.seed);
  ganflow::HostRunContext ctx(device, dir, g.seed, g.deterministic);
  return ganflow::execute_graph(g, registry(), &ctx);
}

inline ganflow::json read_json(const std::string& path) {
  std::ifstream f(path);
  return ganflow::json::parse(f);
}

}  // namespace gantest
