#include "ganflow/framework/session/session.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "ganflow/file_write.hpp"
#include "ganflow/framework/data/thread_budget.hpp"
#include "ganflow/framework/dist/dist_group.hpp"
#include "ganflow/framework/plugin/builtins.hpp"
#include "ganflow/framework/session/device.hpp"
#include "ganflow/framework/session/process_identity.hpp"
#include "ganflow/framework/plugin/plugin_loader.hpp"
#include "ganflow/framework/graph/validate.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {

std::string default_run_dir(const Graph& g) {
  std::time_t t = std::time(nullptr);
  std::ostringstream s;
  s << "runs/" << g.name << "-" << std::put_time(std::localtime(&t), "%Y%m%d-%H%M%S");
  return s.str();
}

// What differs between a run's saved graph and the one it resumes with, one line each.
std::vector<std::string> graph_changes(const json& saved, const json& now) {
  std::vector<std::string> lines;
  for (auto& op : json::diff(saved, now)) {
    json::json_pointer at(op["path"].get<std::string>());
    lines.push_back(at.to_string() + ": " + (saved.contains(at) ? saved.at(at).dump() : "(absent)") + " -> " +
                    (now.contains(at) ? now.at(at).dump() : "(absent)"));
  }
  return lines;
}

}  // namespace

HostRegistry& default_registry() {
  static HostRegistry* r = [] {
    auto* reg = new HostRegistry();  // lives as long as the plugin libraries: the process
    register_builtins(*reg);
    load_plugins(plugin_search_path(), *reg);
    for (auto& reason : reg->refused()) std::cerr << "warning: refused plugin library " << reason << "\n";
    return reg;
  }();
  return *r;
}

Session::Session(SessionOptions options, HostRegistry& registry) : o_(std::move(options)), registry_(registry) {
  std::string saved_graph;
  const bool graph_given = !o_.graph_file.empty() || !o_.graph_text.empty();
  if (!o_.resume.empty()) {  // continue a run: its own resolved graph, its own folder
    std::string dir = run_dir_of(o_.resume);
    saved_graph = (fs::path(dir) / "graph.json").string();
    if (!graph_given) o_.graph_file = saved_graph;
    if (o_.out.empty()) o_.out = dir;
  }
  if (o_.graph_file.empty() && o_.graph_text.empty())
    throw SessionError("no graph to run: give a graph file (or text), or a run to resume");
  graph_ = o_.graph_file.empty() ? parse_graph(o_.graph_text) : load_graph(o_.graph_file);
  apply_overrides(graph_, o_.sets, registry_);
  validate_graph(graph_, registry_);
  if (!o_.device.empty()) graph_.device = o_.device;
  // Resuming with other settings than the run had: a graph given is refused unless
  // allow_changes (it may simply lack the run's --set flags); --set and --device changes were
  // asked for. Either way each change is logged when the run starts.
  if (std::ifstream saved(saved_graph); !o_.resume.empty() && saved) {
    changes_ = graph_changes(json::parse(saved), graph_.to_json());
    if (graph_given && !changes_.empty() && !o_.allow_changes) {
      std::vector<std::string> lines = changes_;
      lines.insert(lines.begin(), "--resume " + o_.resume + ": " + o_.graph_file + " differs from the run's graph.json (" +
                                      "--allow-changes continues with it):");
      throw GraphError(lines);
    }
  }
  device_ = resolve_device(graph_.device);
  run_dir_ = o_.out.empty() ? default_run_dir(graph_) : o_.out;
  try {
    world_ = world_from_env();  // torchrun's environment (or run --nproc's): one rank of several
  } catch (const Error& e) {
    throw SessionError(e.message());
  }
}

Session::~Session() = default;

bool Session::run() {
  const std::optional<World>& world = world_;
  if (world && device_.is_cuda()) {
    const int gpus = int(torch::cuda::device_count());
    // GANFLOW_SHARE_GPU=1: ranks share the GPUs round robin (tests of the process group on a
    // one-GPU machine; slower than one rank per GPU).
    const char* share = std::getenv("GANFLOW_SHARE_GPU");
    if (gpus < world->local_size && !(share && std::string(share) == "1"))
      throw SessionError("LOCAL_WORLD_SIZE=" + std::to_string(world->local_size) + " ranks on this machine but " +
                         std::to_string(gpus) + " CUDA device(s); start at most " + std::to_string(gpus) +
                         " per machine, or use --device cpu (GANFLOW_SHARE_GPU=1 lets ranks share them)");
    device_ = torch::Device(torch::kCUDA, int8_t(world->local_rank % std::max(1, gpus)));
  }
  std::unique_ptr<DistGroup> dist;
  if (world) {
    dist = std::make_unique<DistGroup>(*world, device_, std::chrono::seconds(graph_.dist_timeout_s));
    dist->check_same("resolved graph", graph_.to_json().dump() + "\nresume " + o_.resume);
    // One folder for every rank (a default name holds rank 0's start time). Rank 0 alone writes
    // it; the others read what earlier stages wrote there (one machine, or a shared file system).
    run_dir_ = dist->from_main("run folder", run_dir_);
  }
  if (!world || world->main()) {
    prepare_run_dir(run_dir_);
    if (o_.resume.empty()) write_file((fs::path(run_dir_) / "graph.json").string(), graph_.to_json().dump(2) + "\n");
  }
  // Process-wide torch settings, set both ways: an embedding program may run several graphs.
  at::globalContext().setDeterministicAlgorithms(graph_.deterministic, false);
  at::globalContext().setBenchmarkCuDNN(!graph_.deterministic && device_.is_cuda());  // fixed shapes: tune once
  int threads = graph_.threads > 0 ? graph_.threads : available_cores();  // a rank's share of the machine
  torch::set_num_threads(threads);
  torch::manual_seed(graph_.seed);

  HostRunContext ctx(device_, run_dir_, graph_.seed, dist.get());
  ctx.set_log_sink(o_.on_log);
  ctx.set_progress_sinks({o_.on_progress, o_.on_epoch});
  ctx.set_cancel_flag(&cancelled_);
  if (!o_.resume.empty()) ctx.set_resume(o_.resume);
  for (auto& change : changes_) ctx.log("warning: resuming with a change: " + change);
  ctx.log("ganflow run " + (o_.graph_file.empty() ? graph_.name : o_.graph_file) + " -> " + run_dir_ + " on " +
          device_.str() + ", " + std::to_string(threads) + " threads" +
          (world ? " per rank, " + std::to_string(world->size) + " ranks (data-parallel) over " + dist->backend() : ""));
  ctx.log_file_only(process_identity_line());  // the board tells a killed run by it
  // The log's last line says how the run ended (`ganflow board` reads it): "run finished",
  // "run failed: <the error's first line>", or the stop line.
  auto first_line = [](const std::string& s) { return s.substr(0, s.find('\n')); };
  try {
    built_ = execute_graph(graph_, registry_, &ctx);
  } catch (const c10::Error& e) {
    ctx.log_file_only("run failed: torch: " + first_line(e.what_without_backtrace()));
    throw;
  } catch (const std::exception& e) {
    ctx.log_file_only("run failed: " + first_line(e.what()));
    throw;
  }
  if (ctx.stop_requested()) {
    ctx.log("stopped; checkpoint in " + run_dir_);
    return false;
  }
  ctx.log("run finished");
  return true;
}

}  // namespace ganflow
