// The GAN stage: fastai's GANLearner + GANModule + GANLoss + GANTrainer, with v1's two
// optimisers (only the active one steps, so the frozen network never drifts) and the
// bugs of the spec fixed (gen_first honoured, switchers see training batches only,
// loss columns kept with show_img false, generator loss called (fake_pred, output, target)).
// Registers gan (GANLearner), gan_wgan (GANLearner.wgan), gan_from_learners.
#include <torch/torch.h>

#include <filesystem>
#include <sstream>

#include "ganflow/framework/data/gan_item_list.hpp"
#include "ganflow/framework/dist/dist_group.hpp"
#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/framework/session/sampling.hpp"
#include "ganflow/conditional_model.hpp"
#include "ganflow/critic_augment.hpp"
#include "ganflow/framework/train/learner_stage.hpp"
#include "ganflow/framework/train/trained_critic.hpp"
#include "ganflow/loss.hpp"
#include "ganflow/step_variant.hpp"
#include "ganflow/trained_generator.hpp"
#include "ganflow/layers/channels_last.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {

struct GanSettings {  // read from the params declared in gan_spec (their defaults are there)
  int64_t n_samples{};
  bool gen_first{}, switch_eval{}, show_img{}, raw_samples{};
  double clip{};
  // TTUR: each network's optimiser, resolved from the shared lr / betas / wd by resolve_ttur.
  double lr_gen{}, lr_crit{}, wd_gen{}, wd_crit{};
  std::vector<double> betas_gen, betas_crit;
};

// The optimiser settings of one network: the shared ones with its own betas and wd.
OptimizerSettings network_optimizer(OptimizerSettings o, const std::vector<double>& betas, double wd) {
  o.beta1 = betas.at(0), o.beta2 = betas.at(1), o.wd = wd;
  return o;
}

std::string describe(const std::string& net, const OptimizerSettings& o, double lr) {
  std::ostringstream s;
  s << net << " " << o.kind << " lr " << lr << " betas (" << o.beta1 << ", " << o.beta2 << ") wd " << o.wd;
  return s.str();
}

void set_requires_grad(torch::nn::Module& m, bool on) {
  for (auto& p : m.parameters()) p.requires_grad_(on);
}

// fastai's GANTrainer on the one training loop: one batch is one step of one network, and
// the switcher (a callback) decides when to flip.
class GanStage : public TrainingStage, public TrainedGenerator, public TrainedCritic {
 public:
  GanStage(FitSettings fit, GanSettings s, std::shared_ptr<DataSource> data, std::shared_ptr<Model> g,
           std::shared_ptr<Model> c, std::shared_ptr<GenLoss> gl, std::shared_ptr<CritLoss> cl,
           std::vector<std::shared_ptr<Callback>> cbs)
      : TrainingStage(fit, std::move(data), std::move(cbs)), s_(s), gen_(std::move(g)), crit_(std::move(c)),
        gen_loss_(std::move(gl)), crit_loss_(std::move(cl)), smooth_g_(fit.beta), smooth_c_(fit.beta),
        smooth_real_(fit.beta), smooth_fake_(fit.beta) {
    auto* gen_cond = dynamic_cast<ConditionalModel*>(gen_.get());
    auto* crit_cond = dynamic_cast<ConditionalModel*>(crit_.get());
    n_classes_ = gen_cond ? gen_cond->n_classes() : crit_cond ? crit_cond->n_classes() : 0;
    aux_classes_ = crit_cond ? crit_cond->aux_classes() : 0;
  }

  bool is_gan() const override { return true; }
  bool gen_mode() const override { return gen_mode_; }
  // GANTrainer.switch: flip the mode, freeze the idle network, swap the active optimiser.
  void switch_mode() override { set_mode(!gen_mode_); }

  std::shared_ptr<Model> generator() const override { return gen_; }
  std::shared_ptr<NoiseSource> generator_noise() const override {
    auto items = std::dynamic_pointer_cast<GanItemList>(data());
    return items ? items->noise() : nullptr;
  }
  std::string generator_file() const override { return name() + "_generator.pt"; }
  std::shared_ptr<Model> critic() const override { return crit_; }
  std::string critic_file() const override { return name() + "_critic.pt"; }

 private:
  std::string kind() const override { return "gan"; }

  void prepare(const torch::Device& dev) override {
    gen_->module().to(dev);
    crit_->module().to(dev);
    if (channels_last()) {
      layers::to_channels_last(gen_->module());
      layers::to_channels_last(crit_->module());
    }
    // Both optimisers hold every parameter of their network (made before any freezing).
    const OptimizerSettings og = network_optimizer(settings().opt, s_.betas_gen, s_.wd_gen);
    const OptimizerSettings oc = network_optimizer(settings().opt, s_.betas_crit, s_.wd_crit);
    opt_g_ = std::make_unique<Optim>(og, s_.lr_gen, gen_->module().parameters());
    opt_c_ = std::make_unique<Optim>(oc, s_.lr_crit, crit_->module().parameters());
    ctx().log(name() + ": " + describe("generator", og, s_.lr_gen) + "; " + describe("critic", oc, s_.lr_crit));
    augment_ = nullptr;
    for (auto& cb : callbacks())
      if (auto* a = dynamic_cast<CriticAugment*>(cb.get())) {
        if (augment_) throw Error("more than one augmentation callback ('" + cb->name() + "' is the second); keep one", name());
        augment_ = a;
      }
    // Every critic forward, the losses' own (gradient penalties) included, sees augmented images,
    // and on conditional runs the labels of the batch being scored (crit_labels_), or for a
    // penalty at the fakes (R2), the labels they were drawn for.
    critic_fn_ = [this](const torch::Tensor& x) { return score(x, crit_labels_).first; };
    fake_critic_fn_ = [this](const torch::Tensor& x) { return score(x, fake_labels_).first; };
    set_mode(s_.gen_first);  // fastai v1 ignored gen_first; honoured here
  }

  std::vector<Optim*> optimizers() override { return {opt_g_.get(), opt_c_.get()}; }
  std::vector<Network> networks() override { return {{"generator", &gen_->module()}, {"critic", &crit_->module()}}; }

  void begin_epoch() override {
    gen_->module().train();
    crit_->module().train();
    set_mode(gen_mode_);  // re-apply freezing / eval after train()
  }

  void set_mode(bool gen) {
    gen_mode_ = gen;
    Model& train_model = gen ? *gen_ : *crit_;
    Model& loss_model = gen ? *crit_ : *gen_;
    set_requires_grad(train_model.module(), true);
    set_requires_grad(loss_model.module(), false);
    if (s_.switch_eval) {
      train_model.module().train();
      loss_model.module().eval();
    }
    active_ = gen ? opt_g_.get() : opt_c_.get();
  }

  // The critic's adversarial scores of x, and an ACGAN critic's class logits (else undefined).
  std::pair<torch::Tensor, torch::Tensor> score(const torch::Tensor& x, const torch::Tensor& labels) {
    torch::Tensor out = forward_with_labels(*crit_, augment_ ? augment_->augment(x) : x, labels);
    if (aux_classes_ == 0) return {out, {}};
    const int64_t adv = out.size(1) - aux_classes_;
    return {out.narrow(1, 0, adv), out.narrow(1, adv, aux_classes_)};
  }

  void before_batch(const Batch& b) override {
    if (n_classes_ > 0 && (!b.labels.defined() || !b.gen_labels.defined()))
      throw Error("the generator or critic is class-conditional (n_classes " + std::to_string(n_classes_) +
                      "), and the data's batches carry no labels: give its noise node n_classes",
                  name());
    if (!fixed_x_.defined()) {
      if (n_classes_ > 0) {  // class rows, the same noise down each column
        const int64_t cols = std::max<int64_t>(1, std::min(s_.n_samples / n_classes_, b.x.size(0)));
        std::tie(fixed_x_, fixed_labels_) = class_rows(b.x.narrow(0, 0, cols), torch::arange(n_classes_, torch::kLong));
      } else {
        fixed_x_ = b.x.narrow(0, 0, std::min<int64_t>(s_.n_samples, b.x.size(0))).clone();
      }
      if (dist()) dist()->broadcast({fixed_x_}, "the fixed sample inputs");  // rank 0's everywhere
    }
    if (s_.clip > 0) {  // WGAN: clamp every critic parameter before each training batch
      torch::NoGradGuard ng;
      for (auto& p : crit_->module().parameters()) p.clamp_(-s_.clip, s_.clip);
    }
  }

  // Conditional runs: the critic scores real images with their labels and fakes with the labels
  // they were drawn for, in both modes; the losses' own critic calls use crit_labels_.
  torch::Tensor batch_loss(const Batch& b) override {
    torch::Tensor x = in_layout(b.x, channels_last()), y = in_layout(b.y, channels_last());
    if (gen_mode_) {
      torch::Tensor out = forward_with_labels(*gen_, x, b.gen_labels);
      crit_labels_ = fake_labels_ = b.gen_labels;
      auto [fake_pred, fake_logits] = score(out, b.gen_labels);
      torch::Tensor real_pred, real_logits;  // only for losses that ask: one more critic forward
      if (gen_loss_->needs_real_pred()) {
        torch::NoGradGuard ng;
        std::tie(real_pred, real_logits) = score(y, b.labels);
      }
      return gen_loss_->forward(CriticBatch{real_pred, fake_pred, y, out, critic_fn_, b.labels, b.gen_labels, real_logits,
                                            fake_logits, critic_steps(), &fake_critic_fn_});
    }
    // Critic mode: x and y swapped; real and fake scored in separate forwards (BatchNorm sees
    // two batches); the generator runs without a graph. Penalties score with the real labels
    // (R1, WGAN-GP) or, through fake_critic_fn_, the fakes' (R2).
    const torch::Tensor& real = y;
    crit_labels_ = b.labels;
    fake_labels_ = b.gen_labels;
    auto [real_pred, real_logits] = score(real, b.labels);
    torch::Tensor fake;
    {
      torch::NoGradGuard ng;
      fake = forward_with_labels(*gen_, x, b.gen_labels);
    }
    auto [fake_pred, fake_logits] = score(fake, b.gen_labels);
    // For after_backward: the mean scores written in place, so a replayed step (cuda_graphs) of
    // any shape or variant updates the very tensors after_backward reads.
    keep(real_score_, real_pred.detach().mean());
    keep(fake_score_, fake_pred.detach().mean());
    real_pred_ = real_pred.detach();  // ADA's; augmentation runs without graphs
    return crit_loss_->forward(CriticBatch{real_pred, fake_pred, real, fake, critic_fn_, b.labels, b.gen_labels,
                                           real_logits, fake_logits, critic_steps(), &fake_critic_fn_});
  }

  int64_t critic_steps() const { return step() - gen_steps_; }  // both counts are checkpointed

  static void keep(torch::Tensor& slot, const torch::Tensor& value) {
    if (!slot.defined()) slot = torch::empty({}, value.options().dtype(torch::kFloat));
    slot.copy_(value);
  }

  // Outside batch_loss, which a CUDA graph replays without its host code; before StepEnd, where
  // ADA adjusts p from the scores it has seen.
  void after_backward() override {
    if (gen_mode_) return;
    // The mean scores, smoothed: their gap growing is a critic memorising the real images.
    smooth_real_.add(real_score_);
    smooth_fake_.add(fake_score_);
    // ADA's p follows every rank's real scores, so it stays the same on every rank.
    if (augment_)
      augment_->observe_real(dist() ? dist()->all_gather(real_pred_, "the real scores for augmentation") : real_pred_);
  }

  void after_step(const torch::Tensor& loss) override {
    (gen_mode_ ? smooth_g_ : smooth_c_).add(loss);
    if (gen_mode_) ++gen_steps_;
  }

  // The mode, and the step's loss's variant (a lazy penalty runs on some critic steps only).
  std::optional<int64_t> step_graph_variant() const override {
    const int64_t loss = gen_mode_ ? step_variant_of(*gen_loss_, critic_steps()) : step_variant_of(*crit_loss_, critic_steps());
    return 2 * loss + (gen_mode_ ? 1 : 0);
  }

  std::vector<std::string> columns() const override { return {"gen_loss", "crit_loss"}; }

  static json value_or_null(const Smoother& s) { return s.empty() ? json(nullptr) : json(s.value()); }

  void end_epoch(json& row) override { row.update(diagnostics()); }

  json step_fields() const override {
    json f = diagnostics();
    f["gen_mode"] = gen_mode_;
    return f;
  }

  json diagnostics() const {
    json d = {{"gen_loss", value_or_null(smooth_g_)}, {"crit_loss", value_or_null(smooth_c_)},
              {"real_score", value_or_null(smooth_real_)}, {"fake_score", value_or_null(smooth_fake_)}};
    if (augment_) d["augment_p"] = augment_->probability();
    return d;
  }

  std::string progress_text() const override {
    return "gen " + format_loss(smooth_g_) + " crit " + format_loss(smooth_c_);
  }

  std::optional<LossPoint> loss_point() const override {
    return LossPoint{double(step()), smooth_g_.empty() ? NAN : smooth_g_.value(),
                     smooth_c_.empty() ? NAN : smooth_c_.value()};
  }

  // Both networks and optimisers, the mode, the smoothers, the fixed sample inputs.
  void save_state(Checkpoint& ck) const override {
    ck.meta["gen_steps"] = gen_steps_;
    ck.meta["gen_mode"] = gen_mode_;
    ck.meta["n_g"] = smooth_g_.count();
    ck.meta["n_c"] = smooth_c_.count();
    ck.meta["n_scores"] = smooth_real_.count();
    ck.put("generator", state_dict(gen_->module()));
    ck.put("critic", state_dict(crit_->module()));
    ck.put("opt_g", optimizer_state(opt_g_->torch_optimizer()));
    ck.put("opt_c", optimizer_state(opt_c_->torch_optimizer()));
    ck.put_tensor("smooth_g", smooth_g_.mov());
    ck.put_tensor("smooth_c", smooth_c_.mov());
    ck.put_tensor("smooth_real", smooth_real_.mov());
    ck.put_tensor("smooth_fake", smooth_fake_.mov());
    ck.put_tensor("fixed_x", fixed_x_);
    if (n_classes_ > 0) ck.put_tensor("fixed_labels", fixed_labels_);
  }

  void load_state(const Checkpoint& ck) override {
    load_state_dict(gen_->module(), ck.state("generator"), ck.path() + " [generator]");
    load_state_dict(crit_->module(), ck.state("critic"), ck.path() + " [critic]");
    load_optimizer_state(opt_g_->torch_optimizer(), ck.at("opt_g").toTensor());
    load_optimizer_state(opt_c_->torch_optimizer(), ck.at("opt_c").toTensor());
    smooth_g_.restore(ck.tensor("smooth_g", device()), ck.meta.at("n_g").get<int64_t>());
    smooth_c_.restore(ck.tensor("smooth_c", device()), ck.meta.at("n_c").get<int64_t>());
    smooth_real_.restore(ck.tensor("smooth_real", device()), ck.meta.at("n_scores").get<int64_t>());
    smooth_fake_.restore(ck.tensor("smooth_fake", device()), ck.meta.at("n_scores").get<int64_t>());
    fixed_x_ = ck.tensor("fixed_x", device());
    if (n_classes_ > 0) fixed_labels_ = ck.tensor("fixed_labels", device());
    gen_steps_ = ck.meta.at("gen_steps").get<int64_t>();
    set_mode(ck.meta.at("gen_mode").get<bool>());
  }

  // Drawn by the averaged generator when a callback keeps one (generator_ema), as StyleGAN does.
  torch::Tensor samples() override {
    if (!s_.show_img) return {};
    torch::NoGradGuard ng;
    torch::Tensor imgs;
    auto draw = [&] {
      bool was_training = gen_->module().is_training();
      gen_->module().eval();
      imgs = forward_with_labels(*gen_, fixed_x_, fixed_labels_);
      gen_->module().train(was_training);
    };
    const WeightAverage* avg = s_.raw_samples ? nullptr : weight_average_of(*gen_);
    if (avg) with_averaged_weights(*avg, draw);
    else draw();
    return imgs;
  }
  int64_t sample_columns() const override { return n_classes_ > 0 ? fixed_x_.size(0) / n_classes_ : 0; }

  void finish() override {
    set_mode(true);  // as fastai: leave the generator trainable, the critic frozen
    if (writes()) {
      fs::path dir = ctx().run_dir();
      save_state_dict_file(gen_->module(), (dir / generator_file()).string());
      if (const WeightAverage* avg = weight_average_of(*gen_))
        save_pickle(c10::IValue(avg->averaged()), (dir / averaged_file(generator_file())).string());
      save_state_dict_file(crit_->module(), (dir / critic_file()).string());
    }
    ctx().log(name() + ": " + std::to_string(step()) + " steps (" + std::to_string(gen_steps_) + " generator, " +
              std::to_string(critic_steps()) + " critic)");
  }

  GanSettings s_;
  std::shared_ptr<Model> gen_, crit_;
  std::shared_ptr<GenLoss> gen_loss_;
  std::shared_ptr<CritLoss> crit_loss_;
  std::unique_ptr<Optim> opt_g_, opt_c_;
  CriticAugment* augment_ = nullptr;  // a callback of this stage, or none
  std::function<torch::Tensor(const torch::Tensor&)> critic_fn_, fake_critic_fn_;
  Smoother smooth_g_, smooth_c_, smooth_real_, smooth_fake_;
  bool gen_mode_ = false;
  int64_t gen_steps_ = 0;
  torch::Tensor fixed_x_;
  int64_t n_classes_ = 0, aux_classes_ = 0;  // the models'; 0: unconditional, no ACGAN head
  torch::Tensor fixed_labels_;              // conditional runs: the class of each fixed input
  torch::Tensor crit_labels_;               // the labels critic_fn_ scores with now
  torch::Tensor fake_labels_;               // and fake_critic_fn_: the fakes' own
  torch::Tensor real_pred_, real_score_, fake_score_;  // this critic step's scores, for after_backward
};

NodeSpec gan_spec(const std::string& type, const std::string& doc, bool switch_eval, double clip, bool from_learners) {
  NodeSpec spec(type, NodeKind::Stage, doc);
  OptimizerSettings opt;  // fastai Learner defaults: Adam betas (0.9, 0.99), wd 1e-2, true_wd
  auto fit = fit_fields(spec, 2e-4, "constant", opt);
  Fields<GanSettings> gan(spec);
  gan.add("gen_first", &GanSettings::gen_first, false, "Start with the generator (fastai v1 ignored this; honoured here).");
  gan.add("switch_eval", &GanSettings::switch_eval, switch_eval,
          "Put the idle network in eval mode (BatchNorm running stats frozen).");
  gan.add("clip", &GanSettings::clip, clip,
          "Clamp critic params to [-clip, clip] before each training batch (0: off; WGAN).")
      .at_least(0);
  gan.add("show_img", &GanSettings::show_img, true, "Write samples/epoch_NNN.png from one fixed input batch each epoch.");
  gan.add("n_samples", &GanSettings::n_samples, 64, "Images in each sample grid.").range(1, 1024);
  gan.add("raw_samples", &GanSettings::raw_samples, false,
          "Draw the sample grids with the generator's own weights even when a generator_ema averages them.");
  // TTUR (Heusel et al. 2017): the shared lr / betas / wd are each network's default.
  gan.add("lr_gen", &GanSettings::lr_gen, 0.0, "The generator's base lr (0: lr); the schedule scales it.").range(0, 10);
  gan.add("lr_crit", &GanSettings::lr_crit, 0.0, "The critic's base lr (0: lr); the schedule scales it.").range(0, 10);
  for (auto [param, field, net] : {std::tuple{"betas_gen", &GanSettings::betas_gen, "generator"},
                                   std::tuple{"betas_crit", &GanSettings::betas_crit, "critic"}}) {
    gan.add_list(param, field, {}, std::string("The ") + net + "'s betas ([]: betas).").at_most(2);
    spec.params.back().element->range(0, 1);
  }
  gan.add("wd_gen", &GanSettings::wd_gen, -1.0, "The generator's weight decay (-1: wd).").at_least(-1);
  gan.add("wd_crit", &GanSettings::wd_crit, -1.0, "The critic's weight decay (-1: wd).").at_least(-1);
  spec.input("data", {NodeKind::Data}, "(x, y) batches: x is the generator input, y real images.");
  if (from_learners) {
    spec.input("gen_learner", {NodeKind::Stage}, "A learner stage: its model is the generator (trained first).");
    spec.input("crit_learner", {NodeKind::Stage}, "A learner stage: its model is the critic (trained first).");
  } else {
    spec.input("generator", {NodeKind::Model}, "The generator.").input_roles("generator", {"generator"});
    spec.input("critic", {NodeKind::Model}, "The critic.").input_roles("critic", {"critic"});
  }
  spec.input("gen_loss", {NodeKind::GenLoss}, "Generator loss (sees the critic's predictions, the images, the critic).");
  spec.input("crit_loss", {NodeKind::CritLoss}, "Critic loss (real/fake predictions, images, critic).");
  spec.input("switcher", {NodeKind::Callback}, "Decides after each training batch when to switch (e.g. fixed_gan_switcher).");
  spec.input("callbacks", {NodeKind::Callback}, "More callbacks (e.g. gan_discriminative_lr).", false, true);
  spec.input("after", {NodeKind::Stage}, "Stages that must run first.", false, true);
  spec.factory = [from_learners, fit, gan](const BuildContext& c) -> std::shared_ptr<Node> {
    auto cbs = c.input_list<Callback>("callbacks");
    cbs.insert(cbs.begin(), c.input<Callback>("switcher"));
    std::shared_ptr<Model> g, cr;
    if (from_learners) {
      g = c.input<LearnerStage>("gen_learner")->model();
      cr = c.input<LearnerStage>("crit_learner")->model();
    } else {
      g = c.input<Model>("generator");
      cr = c.input<Model>("critic");
    }
    return std::make_shared<GanStage>(fit.read(c.params()), gan.read(c.params()), c.input<DataSource>("data"), g, cr,
                                      c.input<GenLoss>("gen_loss"), c.input<CritLoss>("crit_loss"), cbs);
  };
  return spec;
}

// Fills in each network's optimiser settings from the shared ones where not given, so the
// saved graph.json holds the values that ran: lr_gen / lr_crit 0 -> lr, betas_* [] -> betas,
// wd_* -1 -> wd.
std::vector<std::string> resolve_ttur(json& p) {
  std::vector<std::string> problems;
  for (const char* net : {"gen", "crit"}) {
    const std::string lr = std::string("lr_") + net, betas = std::string("betas_") + net, wd = std::string("wd_") + net;
    if (p[lr].get<double>() == 0) p[lr] = p["lr"];
    if (p[betas].empty()) p[betas] = p["betas"];
    else if (p[betas].size() != 2) problems.push_back(betas + ": give two values (beta1, beta2) or [] for betas");
    if (p[wd].get<double>() < 0) {
      if (p[wd].get<double>() != -1) problems.push_back(wd + ": must be >= 0, or -1 for wd");
      p[wd] = p["wd"];
    }
  }
  return problems;
}

}  // namespace

void register_gan_stage(HostRegistry& registry) {
  registry.add(gan_spec("gan",
                        "Train a GAN (fastai GANLearner): one batch = one step of one network; the switcher "
                        "decides when to flip. Pair with fixed_gan_switcher 1:1 (fastai v2's default; v1 used 5:1).",
                        true, 0.0, false));
  registry.add(gan_spec("gan_wgan",
                        "GANLearner.wgan: use with noop + wasserstein losses and fixed_gan_switcher 5:1; clip 0.01, "
                        "switch_eval false. The WGAN paper's own schedule (100 critic steps for the generator's first "
                        "25 and every 500th): fixed_gan_switcher n_crit 5, n_crit_schedule [[25, 100]], n_crit_every "
                        "[500, 100].",
                        false, 0.01, false));
  registry.add(gan_spec("gan_from_learners",
                        "GANLearner.from_learners: the generator and critic come from earlier learner stages "
                        "(pretrained), e.g. gan_gen_loss with weights_gen [1, 50] and adaptive_gan_switcher.",
                        true, 0.0, true));
  for (const char* type : {"gan", "gan_wgan", "gan_from_learners"}) registry.add_resolver(type, resolve_ttur);
}

}  // namespace ganflow
