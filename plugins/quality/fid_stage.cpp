// fid: the Fréchet distance of a generator's images to a real set in any feature network's
// space (FID with StyleGAN's Inception TorchScript), with the real set's statistics cached as
// pytorch-fid's .npz (mu, sigma) and refused when they were made in another feature space.
// `ganflow evaluate RUN --real FOLDER --features NET.pt` runs this stage on a trained run.
#include <torch/torch.h>

#include <filesystem>

#include "average_input.hpp"
#include "fd.hpp"
#include "features.hpp"
#include "image_sets.hpp"
#include "inception_score.hpp"
#include "npz.hpp"
#include "sha256.hpp"
#include <ganflow/file_write.hpp>
#include <ganflow/ganflow.hpp>

namespace fs = std::filesystem;

namespace ganflow_quality {

namespace {
struct FidSettings {  // read from the params register_fid_stage declares (their defaults are there)
  int64_t n{}, bs{};
  std::string reference_stats, generated_stats, real_label;
  uint64_t seed{};
};

constexpr const char* kIdentityKey = "ganflow_identity";

torch::Tensor text_array(const std::string& s) {
  return torch::from_blob(const_cast<char*>(s.data()), {int64_t(s.size())}, torch::kByte).clone();
}
std::string array_text(const torch::Tensor& t) {
  return std::string(static_cast<const char*>(t.contiguous().data_ptr()), std::size_t(t.numel()));
}

class FidStage : public ganflow::Stage {
 public:
  FidStage(FidSettings s, std::shared_ptr<ganflow::Model> gen, std::shared_ptr<ganflow::WeightAverage> average,
           std::shared_ptr<ganflow::NoiseSource> noise, std::shared_ptr<FeatureExtractor> extractor,
           std::shared_ptr<ganflow::DataSource> real)
      : s_(std::move(s)), gen_(std::move(gen)), average_(std::move(average)), noise_(std::move(noise)),
        extractor_(std::move(extractor)), real_(std::move(real)) {}

  void run(ganflow::RunContext& ctx) override {
    const torch::Device dev = ctx.device();
    gen_->module().to(dev);
    ctx.log(name() + ": features " + extractor_->describe());
    // What makes two reference statistics the same: the feature space, the real set and N.
    const ganflow::json identity = {{"features", extractor_->identity()}, {"real", s_.real_label}, {"n", s_.n}};
    const std::string stats_file = reference_file(ctx, identity);
    GaussianStats real = cached_reference(stats_file, identity, ctx);
    if (!real.mu.defined()) {
      real = gaussian_stats(extractor_->extract(collect_images(*real_, s_.n, dev, name(), "real"), s_.bs).features);
      save_stats(stats_file, real, identity);
      ctx.log(name() + ": reference statistics of " + std::to_string(s_.n) + " real images written to " + stats_file);
    }
    torch::Tensor generated;
    with_average(average_, [&] { generated = generate_images(*gen_, *noise_, s_.n, s_.bs, s_.seed, dev); });
    const FeatureSet generated_set = extractor_->extract(quantize(generated), s_.bs);
    const GaussianStats fake = gaussian_stats(generated_set.features);
    if (!s_.generated_stats.empty()) save_stats(s_.generated_stats, fake, identity);
    const double fd = frechet_distance(fake, real);
    ctx.log(name() + ": FD " + std::to_string(fd) + " (N = " + std::to_string(s_.n) + " generated images, seed " +
            std::to_string(s_.seed) + (average_ ? ", the averaged (EMA) weights" : "") + ", against " + stats_file + ")");
    ganflow::json out = {{"stage", name()},          {"fd", fd},
                         {"n", s_.n},                {"seed", s_.seed},
                         {"features", extractor_->identity()}, {"real", s_.real_label},
                         {"reference_stats", stats_file},      {"generator_weights", average_ ? "averaged (EMA)" : "trained"}};
    if (!s_.generated_stats.empty()) out["generated_stats"] = s_.generated_stats;
    // A network that gives class logits too (Inception-v3 wrapped to return them): its IS.
    if (generated_set.logits.defined() && s_.n >= kInceptionScoreSplits) {
      const InceptionScore is = inception_score(generated_set.logits, kInceptionScoreSplits);
      ctx.log(name() + ": Inception Score " + std::to_string(is.mean) + " +- " + std::to_string(is.std) + " (" +
              std::to_string(is.splits) + " splits of the same images)");
      out["is_mean"] = is.mean, out["is_std"] = is.std, out["is_splits"] = is.splits;
    }
    const fs::path file = fs::path(ctx.run_dir()) / (name() + ".json");
    ganflow::write_file(file.string(), out.dump(2) + "\n");
  }

 private:
  // The param's file, or <run>/<stage>_reference_<hash of the identity>.npz.
  std::string reference_file(ganflow::RunContext& ctx, const ganflow::json& identity) const {
    if (!s_.reference_stats.empty()) return s_.reference_stats;
    return (fs::path(ctx.run_dir()) / (name() + "_reference_" + sha256_hex(identity.dump()).substr(0, 12) + ".npz")).string();
  }

  // The statistics in `file` when it exists and was made in this feature space; undefined
  // tensors when it does not exist. A file without ganflow's identity (pytorch-fid's own) is
  // used with a warning: its feature space cannot be checked.
  GaussianStats cached_reference(const std::string& file, const ganflow::json& identity, ganflow::RunContext& ctx) const {
    if (!fs::exists(file)) return {};
    auto arrays = load_npz(file);
    if (!arrays.count("mu") || !arrays.count("sigma"))
      throw ganflow::Error(file + ": a statistics file holds mu and sigma", name(), "reference_stats");
    if (!arrays.count(kIdentityKey)) {
      ctx.log(name() + ": warning: " + file + " does not say which network, image size and N made it; using it as given");
    } else {
      const ganflow::json theirs = ganflow::json::parse(array_text(arrays.at(kIdentityKey)));
      if (theirs != identity)
        throw ganflow::Error(file + " was made with " + theirs.dump() + ", not " + identity.dump() +
                                 "; delete it or name another file",
                             name(), "reference_stats");
    }
    ctx.log(name() + ": reference statistics from " + file + " (cached)");
    GaussianStats s{arrays.at("mu").to(torch::kDouble), arrays.at("sigma").to(torch::kDouble), s_.n};
    if (s.mu.dim() != 1 || s.sigma.dim() != 2 || s.sigma.size(0) != s.mu.size(0) || s.sigma.size(1) != s.mu.size(0) ||
        s.mu.size(0) != extractor_->feature_dim())
      throw ganflow::Error(file + ": mu " + c10::str(s.mu.sizes()) + " and sigma " + c10::str(s.sigma.sizes()) +
                               " do not fit the network's " + std::to_string(extractor_->feature_dim()) + " features",
                           name(), "reference_stats");
    return s;
  }

  static void save_stats(const std::string& file, const GaussianStats& s, const ganflow::json& identity) {
    save_npz(file, {{"mu", s.mu}, {"sigma", s.sigma}, {kIdentityKey, text_array(identity.dump())}});
  }

  FidSettings s_;
  std::shared_ptr<ganflow::Model> gen_;
  std::shared_ptr<ganflow::WeightAverage> average_;
  std::shared_ptr<ganflow::NoiseSource> noise_;
  std::shared_ptr<FeatureExtractor> extractor_;
  std::shared_ptr<ganflow::DataSource> real_;
};
}  // namespace

void register_fid_stage(ganflow::Registry& r) {
  ganflow::NodeSpec s("fid", ganflow::NodeKind::Stage,
                      "Fréchet distance of N generated images to N real ones in a feature network's space (FID with "
                      "StyleGAN's Inception TorchScript as torchscript_features; any dataset). The real set's mean "
                      "and covariance are cached as a pytorch-fid .npz (mu, sigma) and reused; a cached file made "
                      "with another network, input preparation, real set or N is refused. A network returning "
                      "(features, class logits) also gets the generated images' Inception Score. Writes <stage>.json.");
  using S = FidSettings;
  ganflow::Fields<S> f(s);
  f.add("n", &S::n, 10000, "Images per set (FID's protocol: 10000 or 50000; FD needs n > the feature dimension).")
      .at_least(2);
  f.add("bs", &S::bs, 100, "Images per generator / feature network batch.").at_least(1);
  f.add_path("reference_stats", &S::reference_stats, "",
             "The real set's statistics (.npz with mu and sigma): read when it exists, else computed and written; "
             "empty: <run>/<stage>_reference_<hash of network, real set and n>.npz.");
  f.add_path("generated_stats", &S::generated_stats, "",
             "Also write the generated set's statistics here (pytorch-fid compares two such files); empty: no.");
  f.add("real_label", &S::real_label, "",
        "What the real set is, recorded with its statistics (e.g. its folder); empty: the real input's node name.");
  s.input("generator", {ganflow::NodeKind::Model}, "The generator (after the stages that train it).");
  s.input("noise", {ganflow::NodeKind::Noise}, "Its input noise.");
  s.input("extractor", {ganflow::NodeKind::Model}, "The feature network: torchscript_features or fmnist_classifier.");
  s.input_roles("generator", {"generator"}).input_roles("extractor", {"features", "classifier"});
  s.input("real", {ganflow::NodeKind::Data}, "Real images (an item_list over an image_folder, shuffle false).");
  s.input("after", {ganflow::NodeKind::Stage}, "Stages that must run first (the GAN training).", false, true);
  declare_average_input(s);
  s.factory = [f](const ganflow::BuildContext& c) {
    FidSettings k = f.read(c);
    k.seed = c.seed();
    if (k.real_label.empty()) k.real_label = c.inputs("real").front()->name();
    auto extractor = require_extractor(c, "extractor");
    if (k.n <= extractor->feature_dim())
      throw ganflow::Error("n = " + std::to_string(k.n) + " must exceed the network's feature dimension " +
                               std::to_string(extractor->feature_dim()) + " (the covariance would be singular)",
                           c.node_name(), "n");
    auto gen = c.input<ganflow::Model>("generator");
    return std::make_shared<FidStage>(k, gen, average_input(c, gen), c.input<ganflow::NoiseSource>("noise"), extractor,
                                      c.input<ganflow::DataSource>("real"));
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
