// The ganflow command: run, validate, plugins, describe, generate, export, evaluate, board, report, reference.
// `run` is a Session; `board` and `report` are framework/board/, linked into this program only.
// Exit codes: 0 ok, 2 usage or validation error, 1 runtime failure, 130 stopped by SIGINT.
#include <c10/util/Exception.h>

#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>

#ifdef GANFLOW_WITH_BOARD  // cmake -DGANFLOW_BOARD=OFF leaves board and report out
#include "board_server.hpp"
#include "run_report.hpp"
#endif

#include "ganflow/framework/dist/launcher.hpp"
#include "ganflow/framework/session/evaluate_run.hpp"
#include "ganflow/framework/session/export_generator.hpp"
#include "ganflow/framework/session/generate.hpp"
#include "ganflow/framework/plugin/markdown.hpp"
#include "ganflow/framework/session/run_context.hpp"
#include "ganflow/framework/session/session.hpp"
#include "ganflow/framework/session/steady_heap.hpp"
#include "ganflow/framework/graph/validate.hpp"

using namespace ganflow;

namespace {

struct UsageError : Error {
  using Error::Error;
};

Graph load_checked(const std::string& path, const std::vector<std::string>& sets) {
  Graph g = load_graph(path);
  apply_overrides(g, sets, default_registry());
  validate_graph(g, default_registry());
  return g;
}

// argv without --nproc and its value: what each rank runs.
std::vector<std::string> rank_args(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--nproc") ++i;
    else if (a.rfind("--nproc=", 0) != 0) args.push_back(a);
  }
  return args;
}

int cmd_run(SessionOptions o, bool dry_run, int nproc, int argc, char** argv) {
  if (o.graph_file.empty() && o.resume.empty()) throw UsageError("run needs a graph file (or --resume RUN_DIR)");
  Session session(std::move(o));  // validates the graph once, here, before any rank starts
  if (nproc > 0 && !dry_run) return launch_ranks(nproc, rank_args(argc, argv));
  if (dry_run) {
    std::cout << session.graph().to_json().dump(2) << "\nbuild order:";
    for (auto& n : build_order(session.graph())) std::cout << " " << n;
    std::cout << "\ndevice: " << session.device().str() << "\n";
    return 0;
  }
  HostRunContext::install_signal_handlers();
  return session.run() ? 0 : 130;
}

int cmd_plugins(bool as_json) {
  json all = json::array();
  for (auto* s : default_registry().all()) all.push_back({{"type", s->type}, {"kind", to_string(s->kind)}, {"doc", s->doc}, {"library", s->library}});
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
      return default_registry().at(type);
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
  std::string graph_path, type;
  std::vector<std::string> sets;
  bool dry_run = false, as_json = false, markdown = false;
  int nproc = 0;

  SessionOptions run_opts;
  auto* run = app.add_subcommand("run", "Validate, build and run a graph");
  run->add_option("graph", run_opts.graph_file, "Graph JSON file (default with --resume: the run's graph.json)");
  run->add_option("--resume", run_opts.resume, "Continue a run exactly: its run folder or a checkpoint file");
  run->add_flag("--allow-changes", run_opts.allow_changes, "With --resume and a graph file: continue even where it differs from the run's graph.json");
  run->add_option("--set", run_opts.sets, "Override a param: node.param=value (repeatable)");
  run->add_option("--out", run_opts.out, "Run folder (default runs/<graph>-<timestamp>)");
  run->add_option("--device", run_opts.device, "auto, cpu, cuda or cuda:N (overrides the graph)");
  run->add_flag("--dry-run", dry_run, "Validate and print the resolved graph; train nothing");
  run->add_option("--nproc", nproc, "Train data-parallel in N processes on this machine (as torchrun --nproc_per_node N)")
      ->check(CLI::Range(1, 1024));

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
  generate->add_flag("--raw", gen_opts.raw, "The generator's own weights, not its average (generator_ema) when the run kept one");
  generate->add_option("--truncation", gen_opts.truncation,
                       "Truncation trick: redraw noise components with |z| > PSI from the run's noise source")
      ->check(CLI::PositiveNumber);
  auto* interpolate = generate->add_option("--interpolate", gen_opts.interpolate,
                                           "Slerp N images from each seed of --seeds to the next (endpoints are the "
                                           "seeds' own images, as --seed S --n 1 draws them)")
                          ->check(CLI::Range(int64_t(2), int64_t(10000)));
  generate->add_option("--seeds", gen_opts.seeds, "With --interpolate: two or more seeds, A,B[,C...]")
      ->delimiter(',')
      ->needs(interpolate);
  auto* one_class = generate->add_option("--class", gen_opts.classes,
                                         "Class-conditional runs: draw every image of class K")
                        ->expected(1);
  generate->add_option("--classes", gen_opts.classes,
                       "Class-conditional runs: one row per class listed, A,B[,C...], --n images in all "
                       "(default: every class)")
      ->delimiter(',')
      ->excludes(one_class);

  ExportOptions export_opts;
  auto* export_cmd =
      app.add_subcommand("export", "Write a trained generator (or critic) as TorchScript (torch.jit.load reads it)");
  export_cmd->add_option("from", export_opts.from, "Run folder or checkpoint file")->required();
  export_cmd->add_option("--out", export_opts.out, "The TorchScript file to write, e.g. generator.pt")->required();
  export_cmd->add_option("--stage", export_opts.stage, "GAN stage (default: the last one)");
  bool export_raw = false, export_ema = false;
  auto* raw_flag = export_cmd->add_flag("--raw", export_raw, "The generator's own weights, not its average");
  auto* ema_flag =
      export_cmd->add_flag("--ema", export_ema, "The averaged weights (generator_ema); an error when the run kept none")
          ->excludes(raw_flag);
  export_cmd->add_flag("--critic", export_opts.critic, "The stage's critic instead of its generator")
      ->excludes(raw_flag)
      ->excludes(ema_flag);

  EvaluateOptions eval_opts;
  auto* evaluate = app.add_subcommand("evaluate", "FID of a trained generator against a folder of real images, in a "
                                                  "TorchScript feature network's space");
  evaluate->add_option("from", eval_opts.from, "Run folder or checkpoint file")->required();
  evaluate->add_option("--real", eval_opts.real, "Folder of real images (PNG/JPEG, grey or RGB, any size)")->required();
  evaluate->add_option("--features", eval_opts.features, "TorchScript feature network, e.g. StyleGAN's Inception")
      ->required();
  evaluate->add_option("--n", eval_opts.n, "Images per set (default 10000)")->check(CLI::Range(int64_t(2), int64_t(1000000)));
  evaluate->add_option("--bs", eval_opts.bs, "Images per batch")->check(CLI::Range(int64_t(1), int64_t(100000)));
  evaluate->add_option("--stats", eval_opts.stats,
                       "Reference statistics .npz (mu, sigma): read when it exists, else written "
                       "(default: <run>/fid_reference_<hash>.npz)");
  evaluate->add_option("--generated-stats", eval_opts.generated_stats,
                       "Also write the generated set's statistics (.npz, pytorch-fid's format) here");
  evaluate->add_option("--input-size", eval_opts.input_size, "Side the network takes (0: as given; Inception 299)");
  evaluate->add_option("--channels", eval_opts.channels, "Channels the network takes (1 or 3)")->check(CLI::IsMember({1, 3}));
  evaluate->add_option("--input-range", eval_opts.input_range, "Value range the network takes")
      ->check(CLI::IsMember({"-1..1", "0..1", "0..255"}));
  evaluate->add_option("--resize", eval_opts.resize, "Resize method")
      ->check(CLI::IsMember({"bilinear", "bicubic", "nearest", "area"}));
  evaluate->add_option("--stage", eval_opts.stage, "GAN stage (default: the last one)");
  evaluate->add_option("--device", eval_opts.device, "cpu, cuda, cuda:N or auto");
  bool eval_raw = false;
  evaluate->add_flag("--raw", eval_raw, "The generator's own weights, not its average (generator_ema)");

#ifdef GANFLOW_WITH_BOARD
  board::BoardOptions board_opts;
  auto* board_cmd = app.add_subcommand("board", "Serve a page that shows and compares the runs in a folder (loss curves, "
                                                "epoch values, samples, graph, log), live while they train");
  board_cmd->add_option("runs_dir", board_opts.runs_dir, "Folder of run folders, or one run folder (default runs)");
  board_cmd->add_option("--port", board_opts.port, "TCP port (default 6006)")->check(CLI::Range(1, 65535));
  board_cmd->add_option("--host", board_opts.host, "Address to listen on (default 127.0.0.1; 0.0.0.0 serves every interface)");

  std::string report_run, report_out = "report.html";
  auto* report_cmd = app.add_subcommand("report", "Write one run's board view as one self-contained HTML file "
                                                  "(opens from disk, no server, no network)");
  report_cmd->add_option("run", report_run, "Run folder")->required();
  report_cmd->add_option("--out", report_out, "HTML file to write (default report.html)");
#endif

  auto* reference = app.add_subcommand("reference", "Print the Markdown reference of every node type");
  reference->add_flag("--markdown", markdown, "(default) Markdown output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*run) return cmd_run(run_opts, dry_run, nproc, argc, argv);
    if (*validate) {
      Graph g = load_checked(graph_path, sets);
      std::cout << graph_path << ": ok (" << g.nodes.size() << " nodes)\n";
      return 0;
    }
    if (*plugins) return cmd_plugins(as_json);
    if (*generate) {
      int64_t n = generate_images(gen_opts, default_registry());
      std::cout << "wrote " << n << " images to " << gen_opts.out << "\n";
      return 0;
    }
    if (*export_cmd) {
      export_opts.which = export_raw ? WhichWeights::raw : export_ema ? WhichWeights::average : WhichWeights::preferred;
      const std::string summary = export_generator(export_opts, default_registry());
      std::cout << "wrote " << export_opts.out << ": " << summary << "\n";
      return 0;
    }
    if (*evaluate) {
      eval_opts.which = eval_raw ? WhichWeights::raw : WhichWeights::preferred;
      const double fid = evaluate_run(eval_opts, default_registry());
      std::cout << "FID " << fid << "\n";
      return 0;
    }
    if (*describe) return cmd_describe(type, as_json);
#ifdef GANFLOW_WITH_BOARD
    if (*board_cmd) {
      board::serve_board(board_opts);
      return 0;
    }
    if (*report_cmd) {
      const std::string summary = board::write_report(report_run, report_out);
      std::cout << "wrote " << report_out << ": " << summary << "\n";
      return 0;
    }
#endif
    if (*reference) {
      std::cout << reference_markdown(default_registry());
      return 0;
    }
  } catch (const GraphError& e) {
    for (auto& line : e.lines()) std::cerr << "error: " << line << "\n";
    return 2;
  } catch (const NodeBuildError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const SessionError& e) {
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
