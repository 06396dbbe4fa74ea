// The ganflow command: run, validate, plugins, describe.
// Exit codes: 0 ok, 2 usage or validation error, 1 runtime failure, 130 stopped by SIGINT.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "ganflow/framework/builtins.hpp"
#include "ganflow/framework/device.hpp"
#include "ganflow/framework/executor.hpp"
#include "ganflow/framework/generate.hpp"
#include "ganflow/framework/markdown.hpp"
#include "ganflow/framework/plugin_loader.hpp"
#include "ganflow/framework/run_context.hpp"
#include "ganflow/framework/steady_heap.hpp"
#include "ganflow/framework/validate.hpp"

namespace fs = std::filesystem;
using namespace ganflow;

namespace {

struct UsageError : Error {
  using Error::Error;
};

HostRegistry& registry() {
  static HostRegistry* r = [] {
    auto* reg = new HostRegistry();  // lives as long as the plugin libraries: the process
    register_builtins(*reg);
    load_plugins(plugin_search_path(), *reg);
    for (auto& reason : reg->refused()) std::cerr << "warning: refused plugin library " << reason << "\n";
    return reg;
  }();
  return *r;
}

Graph load_checked(const std::string& path, const std::vector<std::string>& sets) {
  Graph g = load_graph(path);
  apply_overrides(g, sets, registry());
  validate_graph(g, registry());
  return g;
}

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

int cmd_run(std::string path, const std::vector<std::string>& sets, std::string out, const std::string& device_flag,
            bool dry_run, const std::string& resume, bool allow_changes) {
  std::string saved_graph;
  bool graph_given = !path.empty();
  if (!resume.empty()) {  // continue a run: its own resolved graph, its own folder
    std::string dir = run_dir_of(resume);
    saved_graph = (fs::path(dir) / "graph.json").string();
    if (path.empty()) path = saved_graph;
    if (out.empty()) out = dir;
  }
  if (path.empty()) throw UsageError("run needs a graph file (or --resume RUN_DIR)");
  Graph g = load_checked(path, sets);
  if (!device_flag.empty()) g.device = device_flag;
  // Resuming with other settings than the run had: a graph file given is refused unless
  // --allow-changes (it may simply lack the run's --set flags); --set and --device changes
  // were asked for. Either way each change is logged.
  std::vector<std::string> changes;
  if (std::ifstream saved(saved_graph); !resume.empty() && saved) {
    changes = graph_changes(json::parse(saved), g.to_json());
    if (graph_given && !changes.empty() && !allow_changes) {
      changes.insert(changes.begin(), "--resume " + resume + ": " + path + " differs from the run's graph.json (" +
                                          "--allow-changes continues with it):");
      throw GraphError(changes);
    }
  }
  torch::Device device = resolve_device(g.device);
  if (dry_run) {
    std::cout << g.to_json().dump(2) << "\nbuild order:";
    for (auto& n : build_order(g)) std::cout << " " << n;
    std::cout << "\ndevice: " << device.str() << "\n";
    return 0;
  }
  // The loader shards each epoch by RANK / WORLD_SIZE, but nothing else is distributed yet:
  // under torchrun every process would train its own model into the same run folder.
  if (const char* ws = std::getenv("WORLD_SIZE"); ws && std::atoi(ws) > 1)
    throw UsageError(std::string("WORLD_SIZE=") + ws +
                     ": multi-process training is not supported yet (no process group); run one process");
  if (out.empty()) out = default_run_dir(g);
  prepare_run_dir(out);
  if (resume.empty()) std::ofstream(fs::path(out) / "graph.json") << g.to_json().dump(2) << "\n";
  if (g.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  else if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);  // fixed shapes: tune once, then fastest

  int threads = g.threads > 0 ? g.threads : int(std::thread::hardware_concurrency());
  torch::set_num_threads(threads);
  torch::manual_seed(g.seed);
  HostRunContext ctx(device, out, g.seed);
  if (!resume.empty()) ctx.set_resume(resume);
  for (auto& change : changes) ctx.log("warning: resuming with a change: " + change);
  HostRunContext::install_signal_handlers();
  ctx.log("ganflow run " + path + " -> " + out + " on " + device.str() + ", " + std::to_string(threads) + " threads");
  execute_graph(g, registry(), &ctx);
  if (ctx.stop_requested()) {
    ctx.log("stopped by SIGINT; checkpoint in " + out);
    return 130;
  }
  return 0;
}

int cmd_plugins(bool as_json) {
  json all = json::array();
  for (auto* s : registry().all()) all.push_back({{"type", s->type}, {"kind", to_string(s->kind)}, {"doc", s->doc}, {"library", s->library}});
  if (as_json) {
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  for (auto& s : all)
    std::cout << std::left << std::setw(26) << s["type"].get<std::string>() << std::setw(10)
              << s["kind"].get<std::string>() << s["doc"].get<std::string>() << "\n";
  return 0;
}

int cmd_describe(const std::string& type, bool as_json) {
  const NodeSpec& spec = [&]() -> const NodeSpec& {
    try {
      return registry().at(type);
    } catch (const Error& e) {
      throw UsageError(e.message());
    }
  }();
  if (as_json) std::cout << spec.describe().dump(2) << "\n";
  else std::cout << describe_markdown(spec);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  steady_heap();
  CLI::App app{"ganflow: train GANs described as JSON dataflow graphs"};
  app.require_subcommand(1);
  std::string graph_path, out, device, type, resume;
  std::vector<std::string> sets;
  bool dry_run = false, as_json = false, markdown = false, allow_changes = false;

  auto* run = app.add_subcommand("run", "Validate, build and run a graph");
  run->add_option("graph", graph_path, "Graph JSON file (default with --resume: the run's graph.json)");
  run->add_option("--resume", resume, "Continue a run exactly: its run folder or a checkpoint file");
  run->add_flag("--allow-changes", allow_changes, "With --resume and a graph file: continue even where it differs from the run's graph.json");
  run->add_option("--set", sets, "Override a param: node.param=value (repeatable)");
  run->add_option("--out", out, "Run folder (default runs/<graph>-<timestamp>)");
  run->add_option("--device", device, "auto, cpu, cuda or cuda:N (overrides the graph)");
  run->add_flag("--dry-run", dry_run, "Validate and print the resolved graph; train nothing");

  auto* validate = app.add_subcommand("validate", "Check a graph; print every problem");
  validate->add_option("graph", graph_path, "Graph JSON file")->required();
  validate->add_option("--set", sets, "Override a param: node.param=value (repeatable)");

  auto* plugins = app.add_subcommand("plugins", "List every registered node type");
  plugins->add_flag("--json", as_json, "Print JSON");

  auto* describe = app.add_subcommand("describe", "Show a node type's params, defaults, ranges and inputs");
  describe->add_option("type", type, "Node type")->required();
  describe->add_flag("--json", as_json, "Print JSON");

  GenerateOptions gen_opts;
  auto* generate = app.add_subcommand("generate", "Write images from a trained generator");
  generate->add_option("from", gen_opts.from, "Run folder or checkpoint file")->required();
  generate->add_option("--n", gen_opts.n, "Number of images")->check(CLI::Range(1, 100000));
  generate->add_option("--seed", gen_opts.seed, "Noise seed");
  generate->add_option("--out", gen_opts.out, "grid.png, a folder (one PNG each), or a .pt file")->required();
  generate->add_option("--format", gen_opts.format, "png or pt (a tensor file torch.load reads)")
      ->check(CLI::IsMember({"png", "pt"}));
  generate->add_option("--stage", gen_opts.stage, "GAN stage (default: the last one)");
  generate->add_option("--device", gen_opts.device, "cpu, cuda, cuda:N or auto");

  auto* reference = app.add_subcommand("reference", "Print the Markdown reference of every node type");
  reference->add_flag("--markdown", markdown, "(default) Markdown output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*run) return cmd_run(graph_path, sets, out, device, dry_run, resume, allow_changes);
    if (*validate) {
      Graph g = load_checked(graph_path, sets);
      std::cout << graph_path << ": ok (" << g.nodes.size() << " nodes)\n";
      return 0;
    }
    if (*plugins) return cmd_plugins(as_json);
    if (*generate) {
      generate_images(gen_opts, registry());
      std::cout << "wrote " << gen_opts.n << " images to " << gen_opts.out << "\n";
      return 0;
    }
    if (*describe) return cmd_describe(type, as_json);
    if (*reference) {
      std::cout << reference_markdown(registry());
      return 0;
    }
  } catch (const GraphError& e) {
    for (auto& line : e.lines()) std::cerr << "error: " << line << "\n";
    return 2;
  } catch (const NodeBuildError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "error: torch: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
