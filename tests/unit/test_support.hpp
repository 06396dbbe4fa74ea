#pragma once
// Helpers for tests of the real plugin libraries: build nodes from JSON through the framework,
// exchange tensors with PyTorch reference scripts and run them.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ganflow/framework/graph/executor.hpp"
#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/state_dict.hpp"

namespace ganflow::test {

// The framework's own node types and every plugin library of this build (gan_harness.hpp).
const HostRegistry& plugin_registry();

// Parses `{"nodes": <nodes_json>}`, validates it and builds every node.
BuiltGraph build_nodes(const std::string& nodes_json);

// Builds the graph and returns node `name` as T (fails the test if it is not a T).
template <class T> std::shared_ptr<T> build_node(const std::string& nodes_json, const std::string& name) {
  auto built = build_nodes(nodes_json);
  auto node = std::dynamic_pointer_cast<T>(built.nodes.at(name));
  if (!node) throw std::runtime_error("node '" + name + "' does not implement the expected interface");
  return node;
}

// Builds a graph of one node `{"n": {"type": type, "params": params_json}}`.
template <class T> std::shared_ptr<T> build_one(const std::string& type, const std::string& params_json = "{}") {
  return build_node<T>(R"({"n": {"type": ")" + type + R"(", "params": )" + params_json + "}}", "n");
}

// The error (what()) that building the graph gives; "" if it builds.
std::string build_error(const std::string& nodes_json);

// A fresh, empty folder under the build tree.
std::string scratch_dir(const std::string& tag);

// torch.save / torch.load compatible dictionaries of tensors.
// The C++ side of tests/python/common.py's check_train_then_eval: the module's state, one
// train-mode forward of `x` with the gradients of (output * out_weight).sum(), the buffers after
// it, and an eval-mode output.
std::map<std::string, torch::Tensor> record_train_then_eval(torch::nn::Module& m,
                                                            const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                                                            const torch::Tensor& x);

void save_tensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors);

struct ScriptResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
// The python3 with torch the tests call: GANFLOW_TEST_PYTHON (scripts/gpu-check sets the GPU
// machine's), else Debian's /usr/bin/python3 (python3-torch; python3 on PATH may lack torch).
std::string test_python();
// Runs tests/python/<script> with test_python().
ScriptResult run_python(const std::string& script, const std::vector<std::string>& args);
// Runs the ganflow program with `args`; `env` ("NAME=value ...", or a wrapper such as
// "timeout 60") comes before it on the command line.
ScriptResult run_ganflow(const std::string& args, const std::string& env = "");
// Runs a /bin/sh command line, stdout and stderr together.
ScriptResult run_shell(std::string cmd);

// How many nodes of the autograd graph behind `t` have `name` in their name (each node once).
int graph_node_count(const torch::Tensor& t, const std::string& name);

// Same keys, bitwise-equal tensors.
bool same_state(const StateDict& a, const StateDict& b);

// Quotes a string for /bin/sh.
std::string shell_quote(const std::string& s);

// A socket bound to a port of its own on every address, listening; `port` receives the port.
int listening_socket(int& port);
// A port that was free a moment ago (for a rendezvous).
int free_port();

// Whether a CUDA GPU is there; without one a warning that CTest reports as skipped, or a failure
// under GANFLOW_REQUIRE_CUDA=1 (scripts/gpu-check: a GPU machine must not pass empty).
bool have_cuda();

}  // namespace ganflow::test
