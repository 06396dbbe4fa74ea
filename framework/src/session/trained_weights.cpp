#include "ganflow/framework/session/trained_weights.hpp"

#include <filesystem>
#include <fstream>

#include "ganflow/framework/graph/graph.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/framework/session/run_context.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/framework/train/trained_critic.hpp"
#include "ganflow/state_dict.hpp"
#include "ganflow/trained_generator.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {
// The run's graph (graph.json beside `from`) with `extra_nodes`, built, not run.
BuiltGraph build_run_graph(const std::string& dir, const HostRegistry& registry, const json& extra_nodes) {
  const std::string graph_file = (fs::path(dir) / "graph.json").string();
  std::ifstream in(graph_file);
  if (!in) throw Error(graph_file + ": cannot read the run's graph");
  json graph = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (graph.is_discarded() || !graph.contains("nodes")) throw Error(graph_file + ": not a ganflow graph");
  graph["nodes"].update(extra_nodes);
  Graph g = parse_graph(graph.dump(), graph_file);
  validate_graph(g, registry);
  return build_graph(g, registry);
}

// The last stage in run order (or the one named) that is an `Offer` (a TrainedGenerator, a
// TrainedCritic); its name goes to `stage`. An Error saying what is missing when none is.
template <class Offer>
std::shared_ptr<Offer> last_stage(const BuiltGraph& built, const std::string& stage_name, const std::string& dir,
                                  const std::string& what, std::string& stage) {
  std::shared_ptr<Offer> found;
  for (auto& name : built.order)
    if (auto s = std::dynamic_pointer_cast<Offer>(built.nodes.at(name)); s && (stage_name.empty() || stage_name == name))
      stage = name, found = s;
  if (!found) throw Error(dir + "/graph.json: no " + what + (stage_name.empty() ? "" : " named '" + stage_name + "'"));
  return found;
}

// The weights in `file`: a checkpoint's `network` entry (or, with `average_ok`, a weight
// average it holds), its key going to `entry`; else a state-dict file (ganflow's or torch.save'd).
StateDict trained_state(const std::string& file, const std::string& network, bool average_ok, std::string& entry) {
  c10::IValue v = load_pickle(file);
  if (!v.isGenericDict() || !v.toGenericDict().contains(network)) return load_state_dict_file(file);
  entry = network;
  for (const auto& item : v.toGenericDict())
    if (average_ok && item.key().toStringRef().rfind("average:", 0) == 0) entry = item.key().toStringRef();
  return Checkpoint::from_pickle(v, file).state(entry);
}
}  // namespace

TrainedModel load_trained_generator(const std::string& from, const std::string& stage_name, WhichWeights which,
                                    const HostRegistry& registry, const json& extra_nodes) {
  std::string dir = run_dir_of(from);
  TrainedModel t;
  t.built = build_run_graph(dir, registry, extra_nodes);
  auto trained = last_stage<TrainedGenerator>(t.built, stage_name, dir, "stage that trains a generator", t.stage);
  t.generator = trained->generator();
  t.noise = trained->generator_noise();

  const bool average_ok = which != WhichWeights::raw;
  t.weights = from;
  if (fs::is_directory(from)) {
    fs::path final_file = fs::path(dir) / trained->generator_file();
    fs::path averaged = fs::path(dir) / averaged_file(trained->generator_file());
    t.weights = average_ok && fs::exists(averaged) ? averaged.string()
                : fs::exists(final_file)           ? final_file.string()
                                                   : (fs::path(dir) / "checkpoints" / (t.stage + "_last.pt")).string();
  }
  const StateDict sd = trained_state(t.weights, "generator", average_ok, t.entry);
  const bool averaged = t.entry.rfind("average:", 0) == 0 || t.weights.size() > 7 &&
                                                                  t.weights.compare(t.weights.size() - 7, 7, "_ema.pt") == 0;
  if (which == WhichWeights::average && !averaged)
    throw Error(t.weights + ": the run kept no averaged generator weights (no generator_ema callback); drop --ema");
  load_state_dict(t.generator->module(), sd, t.weights);
  t.generator->module().eval();
  return t;
}

TrainedCriticModel load_trained_critic(const std::string& from, const std::string& stage_name,
                                       const HostRegistry& registry) {
  const std::string dir = run_dir_of(from);
  TrainedCriticModel t;
  t.built = build_run_graph(dir, registry, json::object());
  auto trained = last_stage<TrainedCritic>(t.built, stage_name, dir, "GAN stage with a critic", t.stage);
  t.critic = trained->critic();
  // The final weights, else the stage's last checkpoint; or the checkpoint or state-dict file given.
  t.weights = from;
  if (fs::is_directory(from)) {
    const fs::path final_file = fs::path(dir) / trained->critic_file();
    t.weights = fs::exists(final_file) ? final_file.string() : (fs::path(dir) / "checkpoints" / (t.stage + "_last.pt")).string();
  }
  const StateDict sd = trained_state(t.weights, "critic", false, t.entry);
  load_state_dict(t.critic->module(), sd, t.entry.empty() ? t.weights : t.weights + " [critic]");
  t.critic->module().eval();
  return t;
}

}  // namespace ganflow
