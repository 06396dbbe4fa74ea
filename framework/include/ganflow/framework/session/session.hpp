#pragma once
// One run of one graph, for every caller: the ganflow program, the tests, the benches and a
// C++ program that embeds ganflow. A Session parses the graph, applies --set overrides,
// validates it, checks a resume against the run's saved graph, and, when run, sets up the
// process as the graph asks (threads, determinism, device, seed, run folder) and runs or
// resumes every stage.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ganflow/framework/dist/world.hpp"
#include "ganflow/framework/graph/executor.hpp"
#include "ganflow/framework/graph/graph.hpp"
#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/framework/session/run_context.hpp"

namespace ganflow {

// The run cannot start as asked (no graph, an unsupported launch): a configuration problem,
// like a GraphError, not a failure of the run.
class SessionError : public Error {
 public:
  using Error::Error;
};

struct SessionOptions {
  std::string graph_file;         // a graph file; empty: graph_text, or (resuming) the run's graph.json
  std::string graph_text;         // the graph as JSON text, when there is no file
  std::vector<std::string> sets;  // node.param=value overrides
  std::string device;             // overrides the graph's device (auto, cpu, cuda, cuda:N)
  std::string out;                // the run folder (default runs/<graph name>-<timestamp>)
  std::string resume;             // a run folder or a checkpoint file to continue exactly
  bool allow_changes = false;     // resume even where the graph file differs from the run's
  // Every line the run logs (epoch table rows, warnings, resume notes); default: stdout.
  std::function<void(const std::string&)> on_log;
  // Batch progress of the training stages; set, it replaces the progress bar on stdout.
  std::function<void(const Progress&)> on_progress;
  // Each training epoch's row (the values of metrics.jsonl) as it is written.
  std::function<void(const std::string& stage, const json& row)> on_epoch;
};

// The registry of the process: the built-in node types and every plugin on the search path
// (plugin_search_path()), loaded once; refused libraries are reported on stderr.
HostRegistry& default_registry();

class Session {
 public:
  // Throws GraphError listing every problem of the graph, or of a refused resume, and
  // SessionError when there is no graph.
  explicit Session(SessionOptions options, HostRegistry& registry = default_registry());
  ~Session();

  const Graph& graph() const { return graph_; }
  torch::Device device() const { return device_; }
  const std::string& run_dir() const { return run_dir_; }
  // The differences a resume continues with (logged as warnings when the run starts).
  const std::vector<std::string>& resume_changes() const { return changes_; }

  // Creates the run folder (saving graph.json) and runs (or resumes) every stage. Launched as
  // one rank of several (torchrun's environment), it joins their process group and trains
  // data-parallel; rank 0 alone writes the run folder. Returns true when the graph finished, false when it was
  // stopped by cancel() or SIGINT: the running step finished and a checkpoint was written.
  bool run();
  // From any thread, while run() runs.
  void cancel() { cancelled_ = true; }
  // After run(): the graph's nodes, e.g. the trained models (nullptr if absent or not a T).
  template <class T>
  std::shared_ptr<T> node(const std::string& name) const {
    auto it = built_.nodes.find(name);
    return it == built_.nodes.end() ? nullptr : std::dynamic_pointer_cast<T>(it->second);
  }
  const BuiltGraph& built() const { return built_; }

 private:
  SessionOptions o_;
  HostRegistry& registry_;
  Graph graph_;
  torch::Device device_ = torch::kCPU;
  std::string run_dir_;
  std::vector<std::string> changes_;
  std::optional<World> world_;  // set when launched as one rank of a data-parallel run
  std::atomic<bool> cancelled_{false};
  BuiltGraph built_;
};

}  // namespace ganflow
