#include "ganflow/framework/generate.hpp"

#include <torch/torch.h>

#include <filesystem>

#include "ganflow/data.hpp"
#include "ganflow/framework/data/image_grid.hpp"
#include "ganflow/framework/device.hpp"
#include "ganflow/framework/executor.hpp"
#include "ganflow/framework/run_context.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/framework/validate.hpp"
#include "ganflow/model.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {
bool is_gan_stage(const std::string& type) { return type == "gan" || type == "gan_wgan" || type == "gan_from_learners"; }

// The generator's and the noise's node names, read off the graph's wiring.
std::pair<std::string, std::string> generator_and_noise(const Graph& g, const GraphNode& stage) {
  std::string gen;
  if (stage.inputs.count("generator")) gen = stage.inputs.at("generator").front();
  else gen = g.find(stage.inputs.at("gen_learner").front())->inputs.at("model").front();
  const GraphNode* data = g.find(stage.inputs.at("data").front());
  std::string noise = data->inputs.count("x") ? data->inputs.at("x").front() : "";
  return {gen, noise};
}
}  // namespace

void generate_images(const GenerateOptions& o, const HostRegistry& registry) {
  std::string dir = run_dir_of(o.from);
  Graph g = load_graph((fs::path(dir) / "graph.json").string());
  validate_graph(g, registry);
  const GraphNode* stage = nullptr;
  for (auto& name : build_order(g)) {
    const GraphNode* n = g.find(name);
    if (is_gan_stage(n->type) && (o.stage.empty() || o.stage == name)) stage = n;
  }
  if (!stage) throw Error(dir + "/graph.json: no GAN stage" + (o.stage.empty() ? "" : " named '" + o.stage + "'"));
  auto [gen_name, noise_name] = generator_and_noise(g, *stage);

  std::string weights = o.from;
  StateDict sd;
  if (fs::is_directory(o.from)) {
    fs::path final_file = fs::path(dir) / (stage->name + "_generator.pt");
    weights = fs::exists(final_file) ? final_file.string()
                                     : (fs::path(dir) / "checkpoints" / (stage->name + "_last.pt")).string();
  }
  c10::IValue v = load_pickle(weights);
  auto as_state = [](const c10::IValue& x) { return c10::impl::toTypedDict<std::string, torch::Tensor>(x.toGenericDict()); };
  if (v.isGenericDict() && v.toGenericDict().contains("generator")) sd = as_state(v.toGenericDict().at("generator"));
  else sd = as_state(v);

  BuiltGraph built = build_graph(g, registry);
  auto gen = std::dynamic_pointer_cast<Model>(built.nodes.at(gen_name));
  auto noise = noise_name.empty() ? nullptr : std::dynamic_pointer_cast<NoiseSource>(built.nodes.at(noise_name));
  if (!noise) throw Error("the generator of stage '" + stage->name + "' does not take noise: nothing to generate from");
  torch::Device dev = resolve_device(o.device);
  load_state_dict(gen->module(), sd, weights);
  gen->module().to(dev);
  gen->module().eval();
  torch::manual_seed(o.seed);
  torch::NoGradGuard ng;
  torch::Tensor imgs = gen->forward(noise->sample(o.n, dev)).to(torch::kCPU);

  if (o.format == "pt") {
    std::vector<char> bytes = torch::pickle_save(imgs);
    std::ofstream f(o.out, std::ios::binary);
    if (!f.write(bytes.data(), std::streamsize(bytes.size()))) throw Error("cannot write '" + o.out + "'");
  } else if (fs::path(o.out).extension() == ".png") {
    save_image_grid(imgs, o.out);
  } else {
    fs::create_directories(o.out);
    for (int64_t i = 0; i < imgs.size(0); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%05lld.png", static_cast<long long>(i));
      save_image_grid(imgs.narrow(0, i, 1), (fs::path(o.out) / name).string(), 1);
    }
  }
}

}  // namespace ganflow
