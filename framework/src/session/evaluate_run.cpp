#include "ganflow/framework/session/evaluate_run.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "ganflow/conditional_model.hpp"
#include "ganflow/framework/session/device.hpp"
#include "ganflow/framework/session/run_context.hpp"
#include "ganflow/stage.hpp"

namespace fs = std::filesystem;

namespace ganflow {

double evaluate_run(const EvaluateOptions& o, const HostRegistry& registry) {
  if (!fs::is_directory(o.real)) throw Error("--real '" + o.real + "': no such folder");
  // First the generator alone: its node names, and the size and channels of what it draws.
  TrainedModel t = load_trained_generator(o.from, o.stage, o.which, registry);
  if (!t.noise) throw Error("the generator of stage '" + t.stage + "' does not take noise: nothing to generate from");
  torch::Tensor one;
  {
    torch::NoGradGuard ng;
    torch::Tensor z = t.noise->sample(1, torch::kCPU);
    one = forward_with_labels(*t.generator, z, t.noise->n_classes() > 0 ? t.noise->sample_labels(1, torch::kCPU) : torch::Tensor());
  }
  // Then the run's graph with the fid stage and its inputs beside it, the weights loaded again.
  const std::string real = fs::absolute(o.real).lexically_normal().string();
  json real_folder = {{"type", "image_folder"},
                      {"params", {{"root", real}, {"size", one.size(-1)}, {"channels", one.size(1)}}}};
  json real_data = {{"type", "item_list"},
                    {"inputs", {{"x", "fid_real"}}},
                    {"params", {{"bs", o.bs}, {"shuffle", false}, {"drop_last", false}, {"target", "none"}}}};
  json features = {{"type", "torchscript_features"},
                   {"params",
                    {{"file", fs::absolute(o.features).string()},
                     {"input_size", o.input_size},
                     {"channels", o.channels},
                     {"input_range", o.input_range},
                     {"resize", o.resize}}}};
  json fid = {{"type", "fid"},
              {"inputs",
               {{"generator", t.generator->name()},
                {"noise", t.noise->name()},
                {"extractor", "fid_features"},
                {"real", "fid_real_data"}}},
              {"params", {{"n", o.n}, {"bs", o.bs}, {"real_label", real}}}};
  if (!o.stats.empty()) fid["params"]["reference_stats"] = fs::absolute(o.stats).string();
  if (!o.generated_stats.empty()) fid["params"]["generated_stats"] = fs::absolute(o.generated_stats).string();
  const json extra = {{"fid_real", real_folder}, {"fid_real_data", real_data}, {"fid_features", features}, {"fid", fid}};
  TrainedModel with_fid = load_trained_generator(o.from, t.stage, o.which, registry, extra);
  auto stage = std::dynamic_pointer_cast<Stage>(with_fid.built.nodes.at("fid"));
  const std::string dir = run_dir_of(o.from);
  HostRunContext ctx(resolve_device(o.device), dir, 0);
  stage->run(ctx);
  std::ifstream result(fs::path(dir) / "fid.json");
  return json::parse(result).at("fd").get<double>();
}

}  // namespace ganflow
