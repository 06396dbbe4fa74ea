// quality_monitor: cheap in-loop quality every K epochs (FD and KID on a small N, fixed noise),
// recorded in the epoch row (metrics.jsonl) and used to keep a `best` checkpoint beside `last`.
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "average_input.hpp"
#include "class_conditional.hpp"
#include "fd.hpp"
#include "features.hpp"
#include "image_sets.hpp"
#include "inception_score.hpp"
#include "kid.hpp"
#include <ganflow/conditional_model.hpp>
#include <ganflow/ganflow.hpp>
#include <ganflow/process_rank.hpp>

namespace ganflow_quality {

namespace {
struct MonitorSettings {  // read from the params declared in register_quality_monitor
  int64_t every{}, n{}, bs{}, kid_subsets{}, kid_subset_size{};
  bool keep_best{};
  uint64_t seed{};  // the node's seed
};

class QualityMonitor : public ganflow::Callback {
 public:
  QualityMonitor(MonitorSettings s, std::shared_ptr<ganflow::Model> gen, std::shared_ptr<ganflow::WeightAverage> average,
                 std::shared_ptr<ganflow::NoiseSource> noise, std::shared_ptr<FeatureExtractor> extractor,
                 std::shared_ptr<ganflow::DataSource> real)
      : s_(s), gen_(std::move(gen)), average_(std::move(average)), noise_(std::move(noise)),
        extractor_(std::move(extractor)), real_(std::move(real)) {}

  // After the trainer's own epoch-end work and the other callbacks (e.g. schedulers).
  int order() const override { return 100; }

  // Rank 0 alone measures in a data-parallel run (the generators are identical); the other
  // ranks wait for it at the trainer's epoch-end barrier.
  void on_epoch_end(ganflow::Trainer& t) override {
    if ((t.epoch() + 1) % s_.every != 0 || ganflow::process_rank() != 0) return;
    torch::Device dev = device();
    const bool conditional = dynamic_cast<ganflow::ConditionalModel*>(gen_.get()) != nullptr;
    if (!real_features_.defined()) {
      real_features_ =
          extractor_->extract(collect_images(*real_, s_.n, dev, name(), "real", conditional ? &real_labels_ : nullptr), s_.bs)
              .features;
      std::string line = name() + ": extractor " + extractor_->describe();
      if (extractor_->verified()) t.info(line);
      else t.warn(line);
    }
    // The same noise every time: differences between epochs come from the generator alone.
    torch::Tensor fake, fake_labels;
    with_average(average_, [&] {
      fake = generate_images(*gen_, *noise_, s_.n, s_.bs, s_.seed, dev, conditional ? &fake_labels : nullptr);
    });
    FeatureSet fs = extractor_->extract(fake, s_.bs);
    const torch::Tensor& f = fs.features;
    if (conditional) {
      const int64_t n_classes = dynamic_cast<ganflow::ConditionalModel&>(*gen_).n_classes();
      if (auto agreement = class_agreement(fs.logits, fake_labels, n_classes)) t.record("class_agreement", *agreement);
      if (auto icfd = intra_class_fd(f, fake_labels, real_features_, real_labels_)) t.record("intra_class_fd", *icfd);
    }
    double fd = frechet_distance(f, real_features_);
    KidResult k = kid(f, real_features_, s_.kid_subsets, s_.kid_subset_size, s_.seed);
    t.record("fd", fd);
    t.record("kid", k.mean);
    t.record("kid_std", k.std);
    if (fs.logits.defined() && s_.n >= kInceptionScoreSplits)
      t.record("is", inception_score(fs.logits, kInceptionScoreSplits).mean);
    if (s_.keep_best && std::isfinite(fd) && fd < best_fd_) {
      best_fd_ = fd;
      t.save_checkpoint_as("best");
      t.info(name() + ": fd " + std::to_string(fd) + " at epoch " + std::to_string(t.epoch()) +
             " is the best so far; saved checkpoint 'best'");
    }
    if (std::isfinite(best_fd_)) t.record("fd_best", best_fd_);
  }

  ganflow::json state() const override {
    return {{"best_fd", std::isfinite(best_fd_) ? ganflow::json(best_fd_) : ganflow::json(nullptr)}};
  }
  void load_state(const ganflow::json& j) override {
    if (j.contains("best_fd") && j["best_fd"].is_number()) best_fd_ = j["best_fd"].get<double>();
  }

 private:
  torch::Device device() {
    auto params = gen_->module().parameters();
    return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  }

  MonitorSettings s_;
  std::shared_ptr<ganflow::Model> gen_;
  std::shared_ptr<ganflow::WeightAverage> average_;  // its averaged weights are measured, when wired
  std::shared_ptr<ganflow::NoiseSource> noise_;
  std::shared_ptr<FeatureExtractor> extractor_;
  std::shared_ptr<ganflow::DataSource> real_;
  torch::Tensor real_features_, real_labels_;  // the labels: class-conditional generators only
  double best_fd_ = std::numeric_limits<double>::infinity();
};
}  // namespace

void register_quality_monitor(ganflow::Registry& r) {
  ganflow::NodeSpec s("quality_monitor", ganflow::NodeKind::Callback,
                      "Every `every` epochs: FD and KID of n generated images (fixed noise, eval mode) against n real "
                      "ones in the extractor's feature space; records fd, kid, kid_std, fd_best (and, from an extractor "
                      "with class logits, the Inception Score `is`) in the epoch row (metrics.jsonl) and writes checkpoints/<stage>_best.pt when FD improves. Small n: compare "
                      "values only with the same n (FD is biased in n). A class-conditional generator also gets "
                      "class_agreement, and intra_class_fd when every class has more images than the feature "
                      "dimension.");
  using S = MonitorSettings;
  ganflow::Fields<S> f(s);
  f.add("every", &S::every, 1, "Evaluate every this many epochs.").at_least(1);
  f.add("n", &S::n, 1000, "Images per set (must exceed the feature dimension).").at_least(2);
  f.add("bs", &S::bs, 500, "Images per generator / extractor batch.").at_least(1);
  f.add("kid_subsets", &S::kid_subsets, 10, "KID: random subsets.").range(1, 10000);
  f.add("kid_subset_size", &S::kid_subset_size, 500, "KID: rows per subset (capped at n).").at_least(2);
  f.add("keep_best", &S::keep_best, true, "Write the `best` checkpoint when FD improves.");
  s.input("generator", {ganflow::NodeKind::Model}, "The generator being trained.");
  s.input("noise", {ganflow::NodeKind::Noise}, "Its input noise.");
  s.input("extractor", {ganflow::NodeKind::Model},
          "The feature space: fmnist_classifier with verified weights, or torchscript_features (is only from a "
          "network that returns class logits too; class agreement only from logits over the generator's classes).");
  s.input_roles("generator", {"generator"}).input_roles("extractor", {"classifier", "features"});
  s.input("real", {ganflow::NodeKind::Data}, "Real images (the test split); the first n are used.");
  declare_average_input(s);
  s.factory = [f](const ganflow::BuildContext& c) {
    MonitorSettings s = f.read(c.params());
    s.seed = c.seed();
    auto extractor = require_extractor(c, "extractor");
    if (s.n <= extractor->feature_dim())
      throw ganflow::Error("n = " + std::to_string(s.n) + " must exceed the extractor's feature dimension " +
                               std::to_string(extractor->feature_dim()) + " (the FD covariance would be singular)",
                           c.node_name(), "n");
    auto gen = c.input<ganflow::Model>("generator");
    return std::make_shared<QualityMonitor>(s, gen, average_input(c, gen), c.input<ganflow::NoiseSource>("noise"), extractor,
                                            c.input<ganflow::DataSource>("real"));
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
