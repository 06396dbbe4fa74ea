#include "ganflow/framework/session/generate.hpp"

#include <torch/torch.h>

#include <filesystem>

#include "ganflow/conditional_model.hpp"
#include "ganflow/image_grid.hpp"
#include "ganflow/framework/session/device.hpp"
#include "ganflow/framework/session/sampling.hpp"
#include "ganflow/framework/session/trained_weights.hpp"
#include "ganflow/model.hpp"
#include "ganflow/state_dict.hpp"
#include "ganflow/unit_range.hpp"

namespace fs = std::filesystem;

namespace ganflow {

int64_t generate_images(const GenerateOptions& o, const HostRegistry& registry) {
  if (o.truncation < 0 || (o.interpolate > 0 && o.seeds.size() < 2))
    throw Error(o.truncation < 0 ? "--truncation must be > 0" : "--interpolate needs --seeds with two or more seeds");
  TrainedModel t = load_trained_generator(o.from, o.stage, o.raw ? WhichWeights::raw : WhichWeights::preferred, registry);
  const std::string& stage = t.stage;
  auto& gen = t.generator;
  auto& noise = t.noise;
  if (!noise) throw Error("the generator of stage '" + stage + "' does not take noise: nothing to generate from");
  torch::Device dev = resolve_device(o.device);
  gen->module().to(dev);
  torch::NoGradGuard ng;
  // One seed's noise, truncated when asked (the resampling continues the seed's stream).
  auto noise_of = [&](uint64_t seed, int64_t n) {
    torch::manual_seed(seed);
    torch::Tensor z = noise->sample(n, dev);
    return o.truncation > 0 ? truncate_noise(z, o.truncation, [&] { return noise->sample(n, dev); }) : z;
  };
  // Class-conditional: the classes asked for (all by default), checked before any embedding sees them.
  auto* conditional = dynamic_cast<ConditionalModel*>(gen.get());
  std::vector<int64_t> classes = o.classes;
  if (!conditional && !classes.empty())
    throw Error("--class/--classes: the generator of stage '" + stage + "' is not class-conditional");
  if (conditional) {
    const int64_t k = conditional->n_classes();
    if (classes.empty())
      for (int64_t c = 0; c < k; ++c) classes.push_back(c);
    for (int64_t c : classes)
      if (c < 0 || c >= k)
        throw Error("--class " + std::to_string(c) + " is outside the generator's classes [0, " + std::to_string(k) + ")");
    if (o.interpolate > 0 && classes.size() != 1)
      throw Error("--interpolate on a class-conditional generator needs --class K");
  }
  torch::Tensor z, labels;
  int64_t nrow = 0;  // grid columns; 0: square
  if (o.interpolate > 0) {
    std::vector<torch::Tensor> keys;
    for (uint64_t s : o.seeds) keys.push_back(noise_of(s, 1));
    z = interpolation_path(keys, o.interpolate);
  } else if (classes.size() > 1) {  // a row per class, the same noise down each column
    nrow = std::max<int64_t>(1, o.n / int64_t(classes.size()));
    std::tie(z, labels) = class_rows(noise_of(o.seed, nrow), torch::tensor(classes, torch::kLong));
  } else {
    z = noise_of(o.seed, o.n);
  }
  if (conditional && classes.size() == 1) labels = torch::full({z.size(0)}, classes.front(), torch::kLong).to(dev);
  torch::Tensor imgs = forward_with_labels(*gen, z, labels).to(torch::kCPU);

  if (o.format == "pt") {
    save_pickle(imgs, o.out);
  } else if (fs::path(o.out).extension() == ".png") {
    save_image_grid(imgs, o.out, nrow);
  } else {
    fs::create_directories(o.out);
    for (int64_t i = 0; i < imgs.size(0); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%05lld.png", static_cast<long long>(i));
      save_image(image_from_unit(imgs[i]), (fs::path(o.out) / name).string());
    }
  }
  return imgs.size(0);
}

}  // namespace ganflow
