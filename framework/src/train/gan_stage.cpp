#include "ganflow/framework/train/gan_stage.hpp"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "ganflow/data.hpp"
#include "ganflow/framework/data/image_grid.hpp"
#include "ganflow/framework/report/loss_plot.hpp"
#include "ganflow/framework/report/reporter.hpp"
#include "ganflow/framework/train/autocast_scope.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/framework/train/gpu_memory.hpp"
#include "ganflow/framework/train/learner_stage.hpp"
#include "ganflow/framework/train/loss_scaler.hpp"
#include "ganflow/framework/train/smoother.hpp"
#include "ganflow/framework/train/train_loop.hpp"
#include "ganflow/loss.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {

struct GanSettings {
  int64_t epochs = 1, max_batches = 0, n_samples = 64, checkpoint_every = 0, log_every = 50;
  bool gen_first = false, switch_eval = true, show_img = true;
  double clip = 0, beta = 0.98;
  ScheduleSettings schedule;
  OptimizerSettings opt;
  PrecisionSettings precision;
};

void set_requires_grad(torch::nn::Module& m, bool on) {
  for (auto& p : m.parameters()) p.requires_grad_(on);
}

class GanStage : public Stage, public TrainLoop {
 public:
  GanStage(GanSettings s, std::shared_ptr<DataSource> data, std::shared_ptr<Model> g, std::shared_ptr<Model> c,
           std::shared_ptr<GenLoss> gl, std::shared_ptr<CritLoss> cl, std::vector<std::shared_ptr<Callback>> cbs)
      : TrainLoop(std::move(cbs)), s_(s), data_(std::move(data)), gen_(std::move(g)), crit_(std::move(c)),
        gen_loss_(std::move(gl)), crit_loss_(std::move(cl)), smooth_g_(s.beta), smooth_c_(s.beta), smooth_all_(s.beta) {}

  bool is_gan() const override { return true; }
  bool gen_mode() const override { return gen_mode_; }
  void save_checkpoint_as(const std::string& tag) override {
    save_checkpoint(position_.first, position_.second,
                    (fs::path(ckpt_path_).parent_path() / (name() + "_" + tag + ".pt")).string());
  }

  // GANTrainer.switch: flip the mode, freeze the idle network, swap the active optimiser.
  void switch_mode() override { set_mode(!gen_mode_); }

  void run(RunContext& ctx) override {
    ctx_ = &ctx;
    torch::Device dev = ctx.device();
    device_type_ = dev.type();
    autocast_ = autocast_dtype_for(s_.precision, dev, name());
    scaler_ = LossScaler(s_.precision.precision == "fp16");
    gen_->module().to(dev);
    crit_->module().to(dev);
    if (s_.precision.channels_last) {
      to_channels_last(gen_->module());
      to_channels_last(crit_->module());
    }
    // Both optimisers hold every parameter of their network (made before any freezing).
    opt_g_ = std::make_unique<Optim>(s_.opt, gen_->module().parameters());
    opt_c_ = std::make_unique<Optim>(s_.opt, crit_->module().parameters());
    critic_fn_ = [this](const torch::Tensor& x) { return crit_->forward(x); };
    ckpt_path_ = (fs::path(ctx.run_dir()) / "checkpoints" / (name() + "_last.pt")).string();
    fs::create_directories(fs::path(ckpt_path_).parent_path());

    Reporter report(ctx, name(), {"epoch", "train_loss", "gen_loss", "crit_loss", "time"});
    fs::create_directories(fs::path(ctx.run_dir()) / "samples");
    int64_t per_epoch = data_->batches_per_epoch();
    if (s_.max_batches > 0) per_epoch = std::min(per_epoch, s_.max_batches);
    int64_t total_steps = per_epoch * s_.epochs;

    int64_t first_epoch = 0, skip = 0;
    set_mode(s_.gen_first);  // fastai v1 ignored gen_first; honoured here
    if (std::string from = ctx.resume_checkpoint(name()); !from.empty()) {
      std::tie(first_epoch, skip) = load_checkpoint(from, dev);
      ctx.log(name() + ": resumed from " + from + " at epoch " + std::to_string(first_epoch) + ", batch " +
              std::to_string(skip) + " (step " + std::to_string(step_) + ")");
    }
    dispatch(Event::TrainBegin);
    reset_cuda_peak(dev);
    for (epoch_ = first_epoch; epoch_ < s_.epochs && !ctx.stop_requested(); ++epoch_) {
      auto t0 = std::chrono::steady_clock::now();
      gen_->module().train();
      crit_->module().train();
      set_mode(gen_mode_);  // re-apply freezing / eval after train()
      dispatch(Event::EpochBegin);
      report.epoch_begin(epoch_, per_epoch);
      data_->start_epoch(epoch_, skip, dev);
      Batch b;
      int64_t done = skip, images = 0;
      skip = 0;
      while (done < per_epoch && !ctx.stop_requested() && data_->next(b)) {
        if (!fixed_x_.defined()) fixed_x_ = b.x.narrow(0, 0, std::min<int64_t>(s_.n_samples, b.x.size(0))).clone();
        apply_schedule(s_.schedule, total_steps, {opt_g_.get(), opt_c_.get()});
        train_batch(b);
        ++done, images += b.y.size(0);
        position_ = {epoch_, done};
        report.batch(done, images, [&] { return loss_text(); });
        if (step_ % s_.log_every == 0) log_step(report);
        if (s_.checkpoint_every > 0 && step_ % s_.checkpoint_every == 0 && done < per_epoch)
          save_checkpoint(epoch_, done);
      }
      data_->stop();
      if (ctx.stop_requested()) {  // SIGINT: the step is done; keep it and stop
        save_checkpoint(epoch_, done);
        ctx.log(name() + ": stopped at step " + std::to_string(step_) + "; resume with --resume " + ctx.run_dir());
        return;
      }
      if (done == 0) throw Error("the data gave no batch in epoch " + std::to_string(epoch_), name());
      check_finite(smooth_all_.value(), "the training loss", step_, name());
      epoch_extra_ = json::object();
      position_ = {epoch_ + 1, 0};
      dispatch(Event::EpochEnd);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      json row = {{"epoch", epoch_}, {"train_loss", smooth_all_.value()},
                  {"gen_loss", smooth_g_.empty() ? json(nullptr) : json(smooth_g_.value())},
                  {"crit_loss", smooth_c_.empty() ? json(nullptr) : json(smooth_c_.value())},
                  {"time", secs}, {"images_per_s", double(images) / secs}, {"step", step_}};
      if (auto peak = cuda_peak_allocated_mb(dev)) row["gpu_peak_mb"] = *peak;
      note_skipped_items(*data_, row, name());
      row.update(epoch_extra_);
      report.epoch_end(row);
      if (s_.show_img) save_samples(fs::path(ctx.run_dir()) / "samples" / sample_name(epoch_));
      save_loss_plot(loss_history_, (fs::path(ctx.run_dir()) / (name() + "_losses.png")).string());
      save_checkpoint(epoch_ + 1, 0);
    }
    dispatch(Event::TrainEnd);
    set_mode(true);  // as fastai: leave the generator trainable, the critic frozen
    save_model_file(gen_->module(), (fs::path(ctx.run_dir()) / (name() + "_generator.pt")).string());
    save_model_file(crit_->module(), (fs::path(ctx.run_dir()) / (name() + "_critic.pt")).string());
    ctx.log(name() + ": " + std::to_string(step_) + " steps (" + std::to_string(gen_steps_) + " generator, " +
            std::to_string(step_ - gen_steps_) + " critic)");
  }

 private:
  static std::string sample_name(int64_t epoch) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "epoch_%03lld.png", static_cast<long long>(epoch));
    return buf;
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

  void train_batch(const Batch& b) {
    training_ = true;
    if (s_.clip > 0) {  // WGAN: clamp every critic parameter before each training batch
      torch::NoGradGuard ng;
      for (auto& p : crit_->module().parameters()) p.clamp_(-s_.clip, s_.clip);
    }
    dispatch(Event::BatchBegin);
    torch::Tensor loss, x = in_layout(b.x, s_.precision), y = in_layout(b.y, s_.precision);
    {
      AutocastScope amp(device_type_, autocast_);  // forwards and loss; backward runs outside
      if (gen_mode_) {
        torch::Tensor out = gen_->forward(x);
        torch::Tensor fake_pred = crit_->forward(out);
        torch::Tensor real_pred;  // only for losses that ask: one more critic forward
        if (gen_loss_->needs_real_pred()) {
          torch::NoGradGuard ng;
          real_pred = crit_->forward(y);
        }
        loss = gen_loss_->forward(CriticBatch{real_pred, fake_pred, y, out, critic_fn_});
      } else {
        // Critic mode: x and y swapped; real and fake scored in separate forwards (BatchNorm
        // sees two batches); the generator runs without a graph.
        const torch::Tensor& real = y;
        torch::Tensor real_pred = crit_->forward(real);
        torch::Tensor fake;
        {
          torch::NoGradGuard ng;
          fake = gen_->forward(x);
        }
        torch::Tensor fake_pred = crit_->forward(fake);
        loss = crit_loss_->forward(CriticBatch{real_pred, fake_pred, real, fake, critic_fn_});
      }
    }
    loss = loss.to(torch::kFloat);  // a bf16/fp16 loss would round the smoothed values
    last_loss_ = loss.detach();
    (gen_mode_ ? smooth_g_ : smooth_c_).add(last_loss_);
    smooth_all_.add(last_loss_);
    dispatch(Event::BackwardBegin);
    scaler_.scale(loss).backward();
    scaler_.step(*active_);  // fp16: skipped when a gradient overflowed
    dispatch(Event::StepEnd);
    active_->zero_grad();
    if (gen_mode_) ++gen_steps_;
    ++step_;
    dispatch(Event::BatchEnd);  // switchers decide here
  }

  // The only per-step host sync besides the progress bar: every log_every steps.
  void log_step(Reporter& report) {
    double all = smooth_all_.value();
    check_finite(all, "the training loss", step_, name());
    loss_history_.push_back({double(step_), smooth_g_.empty() ? NAN : smooth_g_.value(),
                             smooth_c_.empty() ? NAN : smooth_c_.value()});
    report.step_record({{"step", step_}, {"epoch", epoch_}, {"train_loss", all},
                        {"gen_loss", smooth_g_.empty() ? json(nullptr) : json(smooth_g_.value())},
                        {"crit_loss", smooth_c_.empty() ? json(nullptr) : json(smooth_c_.value())},
                        {"lr", active_->lr()}, {"gen_mode", gen_mode_}});
  }

  // "-" for a network that has not trained yet: it has no loss (NaN is kept for a real NaN).
  std::string loss_text() const {
    auto text = [](const Smoother& s) {
      if (s.empty()) return std::string("-");
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4f", s.value());
      return std::string(buf);
    };
    return "gen " + text(smooth_g_) + " crit " + text(smooth_c_);
  }

  // Everything needed to continue exactly: both networks and optimisers, the mode, the
  // position (epoch, batch), the smoothers, callback and switcher state, the RNG, the fixed
  // sample inputs.
  void save_checkpoint(int64_t epoch, int64_t batch) { save_checkpoint(epoch, batch, ckpt_path_); }
  void save_checkpoint(int64_t epoch, int64_t batch, const std::string& path) {
    // A diverged state never replaces a good checkpoint (NaN stays in the smoothed loss).
    if (!smooth_all_.empty()) check_finite(smooth_all_.value(), "the training loss", step_, name());
    json meta = {{"stage", name()}, {"epoch", epoch}, {"batch", batch}, {"step", step_}, {"gen_steps", gen_steps_},
                 {"gen_mode", gen_mode_}, {"n_g", smooth_g_.count()}, {"n_c", smooth_c_.count()},
                 {"n_all", smooth_all_.count()}, {"callbacks", callback_states()}, {"scaler", scaler_.state()}};
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("meta", meta.dump());
    d.insert("generator", state_dict(gen_->module()));
    d.insert("critic", state_dict(crit_->module()));
    d.insert("opt_g", optimizer_state(opt_g_->torch_optimizer()));
    d.insert("opt_c", optimizer_state(opt_c_->torch_optimizer()));
    d.insert("rng", cpu_rng_state());
    auto t = [](const torch::Tensor& x) { return x.defined() ? x.to(torch::kCPU) : torch::empty({0}); };
    d.insert("smooth_g", t(smooth_g_.mov()));
    d.insert("smooth_c", t(smooth_c_.mov()));
    d.insert("smooth_all", t(smooth_all_.mov()));
    d.insert("fixed_x", t(fixed_x_));
    save_pickle_atomically(c10::IValue(d), path);
  }

  std::pair<int64_t, int64_t> load_checkpoint(const std::string& path, torch::Device dev) {
    auto d = load_pickle(path).toGenericDict();
    auto get = [&](const char* key) {
      if (!d.contains(key)) throw Error("checkpoint '" + path + "' has no '" + key + "' (not a GAN stage checkpoint?)");
      return d.at(key);
    };
    json meta = json::parse(get("meta").toStringRef());
    if (meta.value("stage", "") != name())
      throw Error("checkpoint '" + path + "' belongs to stage '" + meta.value("stage", "") + "'", name());
    auto sd = [&](const char* key) { return c10::impl::toTypedDict<std::string, torch::Tensor>(get(key).toGenericDict()); };
    load_state_dict(gen_->module(), sd("generator"), "generator");
    load_state_dict(crit_->module(), sd("critic"), "critic");
    load_optimizer_state(opt_g_->torch_optimizer(), get("opt_g").toTensor());
    load_optimizer_state(opt_c_->torch_optimizer(), get("opt_c").toTensor());
    set_cpu_rng_state(get("rng").toTensor());
    auto restore = [&](Smoother& s, const char* key, const char* n) {
      torch::Tensor mov = get(key).toTensor();
      s.restore(mov.numel() ? mov.to(dev) : torch::Tensor(), meta[n].get<int64_t>());
    };
    restore(smooth_g_, "smooth_g", "n_g");
    restore(smooth_c_, "smooth_c", "n_c");
    restore(smooth_all_, "smooth_all", "n_all");
    torch::Tensor fx = get("fixed_x").toTensor();
    if (fx.numel()) fixed_x_ = fx.to(dev);
    load_callback_states(meta["callbacks"], path, name());
    if (meta.contains("scaler")) scaler_.load_state(meta["scaler"]);
    step_ = meta["step"];
    gen_steps_ = meta["gen_steps"];
    set_mode(meta["gen_mode"].get<bool>());
    return {meta["epoch"].get<int64_t>(), meta["batch"].get<int64_t>()};
  }

  void save_samples(const fs::path& path) {
    torch::NoGradGuard ng;
    bool was_training = gen_->module().is_training();
    gen_->module().eval();
    torch::Tensor imgs = gen_->forward(fixed_x_);
    gen_->module().train(was_training);
    save_image_grid(imgs, path.string());
  }

  GanSettings s_;
  std::shared_ptr<DataSource> data_;
  std::shared_ptr<Model> gen_, crit_;
  std::shared_ptr<GenLoss> gen_loss_;
  std::shared_ptr<CritLoss> crit_loss_;
  std::unique_ptr<Optim> opt_g_, opt_c_;
  std::function<torch::Tensor(const torch::Tensor&)> critic_fn_;
  c10::DeviceType device_type_ = c10::DeviceType::CPU;
  std::optional<at::ScalarType> autocast_;  // nullopt: fp32
  LossScaler scaler_;  // enabled for fp16 only
  Smoother smooth_g_, smooth_c_, smooth_all_;
  bool gen_mode_ = false;
  int64_t gen_steps_ = 0;
  torch::Tensor fixed_x_;
  std::string ckpt_path_;
  std::pair<int64_t, int64_t> position_{0, 0};  // (epoch, batches done) a checkpoint resumes at
  std::vector<LossPoint> loss_history_;  // smoothed, every log_every steps (not checkpointed)
};

GanSettings read_settings(const Params& p) {
  GanSettings s;
  s.epochs = p.i("epochs");
  s.max_batches = p.i("max_batches");
  s.n_samples = p.i("n_samples");
  s.checkpoint_every = p.i("checkpoint_every");
  s.log_every = p.i("log_every");
  s.gen_first = p.b("gen_first");
  s.switch_eval = p.b("switch_eval");
  s.show_img = p.b("show_img");
  s.clip = p.f("clip");
  s.beta = p.f("beta");
  s.schedule = read_schedule(p);
  s.opt = read_optimizer_params(p);
  s.precision = read_precision_params(p);
  return s;
}

NodeSpec gan_spec(const std::string& type, const std::string& doc, bool switch_eval, double clip, bool from_learners) {
  NodeSpec spec(type, NodeKind::Stage, doc);
  OptimizerSettings opt;  // fastai Learner defaults: Adam betas (0.9, 0.99), wd 1e-2, true_wd
  declare_fit_params(spec, 2e-4, "constant", opt);
  spec.param_bool("gen_first", false, "Start with the generator (fastai v1 ignored this; honoured here).");
  spec.param_bool("switch_eval", switch_eval, "Put the idle network in eval mode (BatchNorm running stats frozen).");
  spec.param_float("clip", clip, "Clamp critic params to [-clip, clip] before each training batch (0: off; WGAN).").at_least(0);
  spec.param_float("beta", 0.98, "Smoothing of the reported G and C losses (debiased EMA).").range(0, 0.9999);
  spec.param_bool("show_img", true, "Write samples/epoch_NNN.png from one fixed input batch each epoch.");
  spec.param_int("n_samples", 64, "Images in each sample grid.").range(1, 1024);
  spec.param_int("log_every", 50, "Write a step record to metrics.jsonl (and check for NaN) every this many steps.")
      .at_least(1);
  spec.param_int("checkpoint_every", 500, "Also checkpoint every this many steps (0: at epoch ends only).").at_least(0);
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
  spec.factory = [from_learners](const BuildContext& c) -> std::shared_ptr<Node> {
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
    return std::make_shared<GanStage>(read_settings(c.params()), c.input<DataSource>("data"), g, cr,
                                      c.input<GenLoss>("gen_loss"), c.input<CritLoss>("crit_loss"), cbs);
  };
  return spec;
}

}  // namespace

void register_gan_stages(HostRegistry& registry) {
  registry.add(gan_spec("gan",
                        "Train a GAN (fastai GANLearner): one batch = one step of one network; the switcher "
                        "decides when to flip. Pair with fixed_gan_switcher 1:1 (fastai v2's default; v1 used 5:1).",
                        true, 0.0, false));
  registry.add(gan_spec("gan_wgan",
                        "GANLearner.wgan: use with noop + wasserstein losses and fixed_gan_switcher 5:1; clip 0.01, "
                        "switch_eval false.",
                        false, 0.01, false));
  registry.add(gan_spec("gan_from_learners",
                        "GANLearner.from_learners: the generator and critic come from earlier learner stages "
                        "(pretrained), e.g. gan_gen_loss with weights_gen [1, 50] and adaptive_gan_switcher.",
                        true, 0.0, true));
}

}  // namespace ganflow
