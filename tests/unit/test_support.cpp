#include "test_support.hpp"

#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ganflow/framework/graph/graph.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/state_dict.hpp"
#include "gan_harness.hpp"

namespace fs = std::filesystem;

namespace ganflow::test {

const HostRegistry& plugin_registry() { return gantest::registry(); }

BuiltGraph build_nodes(const std::string& nodes_json) {
  Graph g = parse_graph(R"({"name": "test", "nodes": )" + nodes_json + "}");
  validate_graph(g, plugin_registry());
  return build_graph(g, plugin_registry());
}

std::string build_error(const std::string& nodes_json) {
  try {
    build_nodes(nodes_json);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string scratch_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  fs::path dir = fs::path(GANFLOW_BINARY_DIR) / "test_scratch" /
                 (tag + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::map<std::string, torch::Tensor> record_train_then_eval(torch::nn::Module& m,
                                                            const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                                                            const torch::Tensor& x) {
  m.train();
  std::map<std::string, torch::Tensor> t;
  for (auto& p : m.named_parameters()) t["state." + p.key()] = p.value().detach().clone();
  for (auto& b : m.named_buffers()) t["state." + b.key()] = b.value().clone();
  auto xg = x.clone().requires_grad_(true);
  auto out = forward(xg);
  auto w = torch::randn_like(out);
  (out * w).sum().backward();
  t["input"] = x;
  t["output"] = out;
  t["out_weight"] = w;
  t["input_grad"] = xg.grad();
  for (auto& p : m.named_parameters()) {
    REQUIRE(p.value().grad().defined());
    t["grad." + p.key()] = p.value().grad();
  }
  for (auto& b : m.named_buffers()) t["after." + b.key()] = b.value().clone();
  m.eval();
  torch::NoGradGuard no_grad;
  t["eval_output"] = forward(x);
  return t;
}

void save_tensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (auto& [k, v] : tensors) dict.insert(k, v.detach().cpu().contiguous());
  save_pickle(dict, path);
}

int graph_node_count(const torch::Tensor& t, const std::string& name) {
  std::vector<torch::autograd::Node*> todo;
  std::set<torch::autograd::Node*> seen;
  if (t.grad_fn()) todo.push_back(t.grad_fn().get());
  int count = 0;
  while (!todo.empty()) {
    torch::autograd::Node* node = todo.back();
    todo.pop_back();
    if (!seen.insert(node).second) continue;
    if (node->name().find(name) != std::string::npos) ++count;
    for (const auto& edge : node->next_edges())
      if (edge.function) todo.push_back(edge.function.get());
  }
  return count;
}

bool same_state(const StateDict& a, const StateDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& e : a)
    if (!b.contains(e.key()) || !torch::equal(e.value(), b.at(e.key()))) return false;
  return true;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string test_python() {
  const char* py = std::getenv("GANFLOW_TEST_PYTHON");
  return py && *py ? py : "/usr/bin/python3";
}

ScriptResult run_python(const std::string& script, const std::vector<std::string>& args) {
  std::string dir = std::string(GANFLOW_SOURCE_DIR) + "/tests/python";
  std::string cmd = "cd " + shell_quote(dir) + " && " + shell_quote(test_python()) + " " + shell_quote(script);
  for (auto& a : args) cmd += " " + shell_quote(a);
  return run_shell(cmd);
}

ScriptResult run_ganflow(const std::string& args, const std::string& env) {
  return run_shell(env + " " + std::string(GANFLOW_BINARY_DIR) + "/bin/ganflow " + args);
}

ScriptResult run_shell(std::string cmd) {
  cmd += " 2>&1";
  ScriptResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + cmd);
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A socket bound to a port of its own on every address, listening; `port` receives the port.
int listening_socket(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  port = ntohs(a.sin_port);
  return fd;
}

int free_port() {
  int port = 0;
  ::close(listening_socket(port));
  return port;
}

bool have_cuda() {
  if (torch::cuda::is_available()) return true;
  const char* req = std::getenv("GANFLOW_REQUIRE_CUDA");
  if (req && std::string(req) == "1") FAIL("GANFLOW_REQUIRE_CUDA=1 but this LibTorch sees no CUDA GPU");
  WARN("GANFLOW_TEST_SKIPPED: no CUDA GPU");
  return false;
}

}  // namespace ganflow::test
