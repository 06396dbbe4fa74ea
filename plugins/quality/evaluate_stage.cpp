// evaluate: the quality table of a generator against real test images, with the real-vs-real
// floor and the corrupted-real and noise baselines scored by the same code (protocol: docs/quality.md).
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "average_input.hpp"
#include "class_conditional.hpp"
#include "features.hpp"
#include "image_sets.hpp"
#include "quality_report.hpp"
#include <ganflow/conditional_model.hpp>
#include <ganflow/file_write.hpp>
#include <ganflow/ganflow.hpp>

namespace fs = std::filesystem;

namespace ganflow_quality {

namespace {
struct EvaluateSettings {  // read from the params declared in register_evaluate_stage
  int64_t n{}, bs{};
  double blur_sigma{}, noise_std{};
  QualitySettings q;
};

class EvaluateStage : public ganflow::Stage {
 public:
  EvaluateStage(EvaluateSettings s, std::shared_ptr<ganflow::Model> gen, std::shared_ptr<ganflow::WeightAverage> average,
                std::shared_ptr<ganflow::NoiseSource> noise, std::shared_ptr<FeatureExtractor> extractor,
                std::shared_ptr<ganflow::DataSource> real, std::shared_ptr<ganflow::DataSource> train)
      : s_(s), gen_(std::move(gen)), average_(std::move(average)), noise_(std::move(noise)),
        extractor_(std::move(extractor)), real_(std::move(real)), train_(std::move(train)) {}

  void run(ganflow::RunContext& ctx) override {
    torch::Device dev = ctx.device();
    gen_->module().to(dev);
    ctx.log(name() + ": extractor " + extractor_->describe());
    auto features = [&](const torch::Tensor& images) { return extractor_->extract(images, s_.bs); };
    // A class-conditional generator is also scored per class, against the real labels.
    const bool conditional = dynamic_cast<ganflow::ConditionalModel*>(gen_.get()) != nullptr;
    torch::Tensor real_labels, gen_labels;
    Reference ref = make_reference(
        features(collect_images(*real_, s_.n, dev, name(), "real", conditional ? &real_labels : nullptr)), s_.q.k);
    torch::Tensor train = collect_images(*train_, s_.n, dev, name(), "train");
    uint64_t seed = s_.q.seed;
    torch::Tensor generated;
    with_average(average_, [&] {
      generated = generate_images(*gen_, *noise_, s_.n, s_.bs, seed, dev, conditional ? &gen_labels : nullptr);
    });
    const FeatureSet generated_set = features(generated);
    std::vector<QualityRow> rows = {score_set("generator", generated_set, ref, s_.q)};
    std::vector<std::pair<std::string, torch::Tensor>> sets = {
        {"real (train vs test)", train},
        {"blurred real", gaussian_blur(train, s_.blur_sigma)},
        {"noisy real", add_gaussian_noise(train, s_.noise_std, seed + 1)},
        {"uniform noise", uniform_noise(train.sizes(), seed + 2, dev)},
    };
    for (auto& [label, images] : sets) {
      if (ctx.stop_requested()) return;
      rows.push_back(score_set(label, features(images), ref, s_.q));
    }
    ctx.log(name() + ": N = " + std::to_string(s_.n) + " per set against " + std::to_string(s_.n) +
            " real test images; seed " + std::to_string(seed) + (average_ ? "; the generator's averaged (EMA) weights" : ""));
    for (const auto& line : format_table(rows)) ctx.log(line);
    ganflow::json per_class;
    if (conditional) {  // agreement needs an extractor's head over the generator's classes
      const int64_t n_classes = dynamic_cast<ganflow::ConditionalModel&>(*gen_).n_classes();
      const std::optional<double> agreement = class_agreement(generated_set.logits, gen_labels, n_classes);
      const std::optional<double> icfd = intra_class_fd(generated_set.features, gen_labels, ref.set.features, real_labels);
      per_class = {{"class_agreement", agreement ? ganflow::json(*agreement) : ganflow::json(nullptr)},
                   {"intra_class_fd", icfd ? ganflow::json(*icfd) : ganflow::json(nullptr)}};
      ctx.log(name() + ": class-conditional: class agreement " +
              (agreement ? std::to_string(*agreement)
                         : "n/a (the feature network has no head over the generator's " + std::to_string(n_classes) +
                               " classes)") +
              ", intra-class FD " +
              (icfd ? std::to_string(*icfd) : std::string("n/a (a class has too few images for its covariance)")));
    }

    ganflow::json out = {{"stage", name()},
                         {"n", s_.n},
                         {"seed", seed},
                         {"k", s_.q.k},
                         {"blur_sigma", s_.blur_sigma},
                         {"noise_std", s_.noise_std},
                         {"generator_weights", average_ ? "averaged (EMA)" : "trained"},
                         {"mode_min_share", s_.q.min_share},
                         {"extractor", extractor_->identity()},
                         {"rows", ganflow::json::array()}};
    out["extractor"]["verified"] = extractor_->verified();
    if (conditional) out["class_conditional"] = per_class;
    for (const auto& r : rows) out["rows"].push_back(to_json(r));
    fs::path file = fs::path(ctx.run_dir()) / (name() + ".json");
    ganflow::write_file(file.string(), out.dump(2) + "\n");
    ctx.log(name() + ": wrote " + file.string());
  }

 private:
  EvaluateSettings s_;
  std::shared_ptr<ganflow::Model> gen_;
  std::shared_ptr<ganflow::WeightAverage> average_;
  std::shared_ptr<ganflow::NoiseSource> noise_;
  std::shared_ptr<FeatureExtractor> extractor_;
  std::shared_ptr<ganflow::DataSource> real_, train_;
};
}  // namespace

void register_evaluate_stage(ganflow::Registry& r) {
  ganflow::NodeSpec s("evaluate", ganflow::NodeKind::Stage,
                      "Quality table (docs/quality.md): N generated vs N real test images in the feature space of a "
                      "frozen fmnist_classifier or torchscript_features -- FD, KID, class-histogram KL and modes, Inception Score, precision/recall -- with "
                      "the real-vs-real floor (train vs test) and blurred-real, noisy-real and uniform-noise "
                      "baselines scored by the same code. A class-conditional generator also gets class agreement "
                      "(the extractor's top-1 accuracy against the requested labels) and intra-class FD (the mean of "
                      "per-class FDs; `real` must give labels). Prints the table; writes <stage>.json in the run folder.");
  using S = EvaluateSettings;
  using Q = QualitySettings;
  ganflow::Fields<S> f(s);
  ganflow::Fields<Q> q(s);
  f.add("n", &S::n, 10000, "Images per set (FD needs n > the feature dimension).").at_least(2);
  f.add("bs", &S::bs, 500, "Images per generator / extractor batch.").at_least(1);
  q.add("kid_subsets", &Q::kid_subsets, 100, "KID: random subsets to average over.").range(1, 10000);
  q.add("kid_subset_size", &Q::kid_subset_size, 1000, "KID: rows per subset (capped at n).").at_least(2);
  q.add("k", &Q::k, 3, "Precision/recall: the neighbour that sets each ball's radius.").range(1, 100);
  q.add("mode_min_share", &Q::min_share, 0.01, "A class counts as a hit mode when it holds at least this share.")
      .range(0, 1);
  q.add("is_splits", &Q::is_splits, kInceptionScoreSplits, "Inception Score: consecutive splits of each set (n / is_splits images each).")
      .range(1, 1000);
  f.nest(&S::q, q);
  f.add("blur_sigma", &S::blur_sigma, 1.0, "Gaussian blur (pixels) of the blurred-real baseline.").range(0, 10);
  f.add("noise_std", &S::noise_std, 0.5, "Gaussian noise std (on the [-1, 1] scale) of the noisy-real baseline.")
      .range(0, 10);
  s.input("generator", {ganflow::NodeKind::Model}, "The generator to evaluate (after the stages that train it).");
  s.input("noise", {ganflow::NodeKind::Noise}, "Its input noise.");
  s.input("extractor", {ganflow::NodeKind::Model},
          "The feature space: fmnist_classifier with verified weights, or torchscript_features (class columns only "
          "from a network that returns class logits too; class agreement only from logits over the generator's "
          "classes).");
  s.input_roles("generator", {"generator"}).input_roles("extractor", {"classifier", "features"});
  s.input("real", {ganflow::NodeKind::Data}, "Real reference images: the test split (item_list, shuffle false).");
  s.input("train", {ganflow::NodeKind::Data}, "Real images disjoint from `real` (train split): floor and baselines.");
  s.input("after", {ganflow::NodeKind::Stage}, "Stages that must run first (the GAN training).", false, true);
  declare_average_input(s);
  s.factory = [f](const ganflow::BuildContext& c) {
    EvaluateSettings s = f.read(c.params());
    s.q.seed = c.seed();
    auto extractor = require_extractor(c, "extractor");
    if (s.n <= extractor->feature_dim())
      throw ganflow::Error("n = " + std::to_string(s.n) + " must exceed the extractor's feature dimension " +
                               std::to_string(extractor->feature_dim()) + " (the FD covariance would be singular)",
                           c.node_name(), "n");
    if (s.q.is_splits > s.n)
      throw ganflow::Error("is_splits = " + std::to_string(s.q.is_splits) + " splits need at least as many images, and n = " +
                               std::to_string(s.n),
                           c.node_name(), "is_splits");
    auto gen = c.input<ganflow::Model>("generator");
    return std::make_shared<EvaluateStage>(s, gen, average_input(c, gen), c.input<ganflow::NoiseSource>("noise"), extractor,
                                           c.input<ganflow::DataSource>("real"), c.input<ganflow::DataSource>("train"));
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
