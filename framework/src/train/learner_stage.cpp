#include "ganflow/framework/train/learner_stage.hpp"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "ganflow/framework/report/reporter.hpp"
#include "ganflow/framework/train/autocast_scope.hpp"
#include "ganflow/framework/train/checkpoint.hpp"

namespace fs = std::filesystem;

namespace ganflow {

LearnerStage::LearnerStage(LearnerSettings s, std::shared_ptr<DataSource> train, std::shared_ptr<DataSource> valid,
                           std::shared_ptr<Model> model, std::shared_ptr<Loss> loss,
                           std::vector<std::shared_ptr<Metric>> metrics, std::vector<std::shared_ptr<Callback>> callbacks)
    : TrainLoop(std::move(callbacks)), s_(s), train_(std::move(train)), valid_(std::move(valid)),
      model_(std::move(model)), loss_(std::move(loss)), metrics_(std::move(metrics)) {}

void LearnerStage::save_checkpoint_as(const std::string& tag) {
  save_checkpoint(position_.first, position_.second, (fs::path(ckpt_dir_) / (name() + "_" + tag + ".pt")).string());
}

void LearnerStage::switch_mode() { throw Error("switch_mode called in a learner stage (one network)", name()); }

void LearnerStage::run(RunContext& ctx) {
  ctx_ = &ctx;
  torch::Device dev = ctx.device();
  std::optional<at::ScalarType> autocast = autocast_dtype_for(s_.precision, dev, name());
  scaler_ = LossScaler(s_.precision.precision == "fp16");
  model_->module().to(dev);
  if (s_.precision.channels_last) to_channels_last(model_->module());
  for (auto& p : model_->module().parameters()) p.requires_grad_(true);
  opt_ = std::make_unique<Optim>(s_.opt, model_->module().parameters());
  active_ = opt_.get();

  std::vector<std::string> columns = {"epoch", "train_loss", "valid_loss"};
  for (auto& m : metrics_) columns.push_back(m->name());
  columns.push_back("time");
  Reporter report(ctx, name(), columns);
  int64_t per_epoch = train_->batches_per_epoch();
  if (s_.max_batches > 0) per_epoch = std::min(per_epoch, s_.max_batches);
  ckpt_dir_ = (fs::path(ctx.run_dir()) / "checkpoints").string();
  fs::create_directories(ckpt_dir_);
  const std::string last = (fs::path(ckpt_dir_) / (name() + "_last.pt")).string();

  int64_t first_epoch = 0, skip = 0;
  if (std::string from = ctx.resume_checkpoint(name()); !from.empty()) {
    std::tie(first_epoch, skip) = load_checkpoint(from, dev);
    ctx.log(name() + ": resumed from " + from + " at epoch " + std::to_string(first_epoch) + ", batch " +
            std::to_string(skip) + " (step " + std::to_string(step_) + ")");
  }
  dispatch(Event::TrainBegin);
  for (epoch_ = first_epoch; epoch_ < s_.epochs && !ctx.stop_requested(); ++epoch_) {
    auto t0 = std::chrono::steady_clock::now();
    model_->module().train();
    training_ = true;
    dispatch(Event::EpochBegin);
    report.epoch_begin(epoch_, per_epoch);
    for (auto& m : metrics_) m->reset();
    train_->start_epoch(epoch_, skip, dev);
    Batch b;
    int64_t done = skip, images = 0;
    skip = 0;
    while (done < per_epoch && !ctx.stop_requested() && train_->next(b)) {
      apply_schedule(s_.schedule, per_epoch * s_.epochs, {opt_.get()});
      dispatch(Event::BatchBegin);
      torch::Tensor out, loss;
      {
        AutocastScope amp(dev.type(), autocast);  // forward and loss; backward runs outside
        out = model_->forward(in_layout(b.x, s_.precision));
        loss = loss_->forward(out, b.y);
      }
      out = out.to(torch::kFloat), loss = loss.to(torch::kFloat);  // metrics and smoothing in fp32
      last_loss_ = loss.detach();
      smooth_.add(last_loss_);
      if (!valid_)
        for (auto& m : metrics_) m->accumulate(out.detach(), b.y);
      dispatch(Event::BackwardBegin);
      scaler_.scale(loss).backward();
      scaler_.step(*opt_);  // fp16: skipped when a gradient overflowed
      dispatch(Event::StepEnd);
      opt_->zero_grad();
      ++step_, ++done, images += b.x.size(0);
      position_ = {epoch_, done};
      dispatch(Event::BatchEnd);
      report.batch(done, images, [&] { return "loss " + std::to_string(smooth_.value()); });
    }
    train_->stop();
    if (ctx.stop_requested()) {  // SIGINT: the step is done; keep it and stop
      save_checkpoint(epoch_, done, last);
      ctx.log(name() + ": stopped at step " + std::to_string(step_) + "; resume with --resume " + ctx.run_dir());
      return;
    }
    if (done == 0) throw Error("the data gave no batch in epoch " + std::to_string(epoch_), name());
    check_finite(smooth_.value(), "the training loss", step_, name());
    position_ = {epoch_ + 1, 0};
    json row = {{"epoch", epoch_}, {"train_loss", smooth_.value()}, {"step", step_}};
    note_skipped_items(*train_, row, name());
    if (valid_) {
      for (auto& m : metrics_) m->reset();
      row["valid_loss"] = validate(dev);
    }
    for (auto& m : metrics_) row[m->name()] = m->value();
    epoch_extra_ = json::object();
    dispatch(Event::EpochEnd);
    row.update(epoch_extra_);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    row["time"] = secs;
    row["images_per_s"] = double(images) / secs;
    report.epoch_end(row);
    save_checkpoint(epoch_ + 1, 0, last);
  }
  dispatch(Event::TrainEnd);
  save_model_file(model_->module(), (fs::path(ctx.run_dir()) / (name() + "_model.pt")).string());
}

void LearnerStage::save_checkpoint(int64_t epoch, int64_t batch, const std::string& path) {
  // A diverged state never replaces a good checkpoint (NaN stays in the smoothed loss).
  if (!smooth_.empty()) check_finite(smooth_.value(), "the training loss", step_, name());
  json meta = {{"stage", name()}, {"kind", "learner"}, {"epoch", epoch}, {"batch", batch}, {"step", step_},
               {"n_smooth", smooth_.count()}, {"callbacks", callback_states()}, {"scaler", scaler_.state()}};
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("meta", meta.dump());
  d.insert("model", state_dict(model_->module()));
  d.insert("opt", optimizer_state(opt_->torch_optimizer()));
  d.insert("rng", cpu_rng_state());
  d.insert("smooth", smooth_.mov().defined() ? smooth_.mov().to(torch::kCPU) : torch::empty({0}));
  save_pickle_atomically(c10::IValue(d), path);
}

std::pair<int64_t, int64_t> LearnerStage::load_checkpoint(const std::string& path, torch::Device dev) {
  auto d = load_pickle(path).toGenericDict();
  auto get = [&](const char* key) {
    if (!d.contains(key)) throw Error("checkpoint '" + path + "' has no '" + key + "' (not a learner checkpoint?)", name());
    return d.at(key);
  };
  json meta = json::parse(get("meta").toStringRef());
  if (meta.value("stage", "") != name() || meta.value("kind", "") != "learner")
    throw Error("checkpoint '" + path + "' belongs to stage '" + meta.value("stage", "") + "', not to this learner", name());
  load_state_dict(model_->module(), c10::impl::toTypedDict<std::string, torch::Tensor>(get("model").toGenericDict()),
                  "model");
  load_optimizer_state(opt_->torch_optimizer(), get("opt").toTensor());
  set_cpu_rng_state(get("rng").toTensor());
  torch::Tensor mov = get("smooth").toTensor();
  smooth_.restore(mov.numel() ? mov.to(dev) : torch::Tensor(), meta.at("n_smooth").get<int64_t>());
  load_callback_states(meta.at("callbacks"), path, name());
  scaler_.load_state(meta.at("scaler"));
  step_ = meta.at("step").get<int64_t>();
  position_ = {meta.at("epoch").get<int64_t>(), meta.at("batch").get<int64_t>()};
  return position_;
}

double LearnerStage::validate(torch::Device dev) {
  torch::NoGradGuard ng;
  training_ = false;
  model_->module().eval();
  valid_->start_epoch(0, 0, dev);
  Batch b;
  torch::Tensor total = torch::zeros({}, torch::TensorOptions(dev).dtype(torch::kFloat64));
  int64_t n = 0;
  // As fastai: validation batches dispatch batch events with training() false (no backward,
  // no step events), so callbacks see them and tell them apart.
  while (valid_->next(b)) {  // in fp32: validation numbers do not depend on the training precision
    dispatch(Event::BatchBegin);
    torch::Tensor out = model_->forward(in_layout(b.x, s_.precision));
    last_loss_ = loss_->forward(out, b.y).to(torch::kFloat);
    total += last_loss_.to(torch::kFloat64) * b.x.size(0);
    n += b.x.size(0);
    for (auto& m : metrics_) m->accumulate(out, b.y);
    dispatch(Event::BatchEnd);
  }
  valid_->stop();
  model_->module().train();
  training_ = true;
  return n ? total.item<double>() / double(n) : NAN;
}

void register_learner_stage(HostRegistry& registry) {
  NodeSpec spec("learner", NodeKind::Stage,
                "Train one model with one loss (fastai Learner fit / fit_one_cycle): pretrain a generator or a critic.");
  OptimizerSettings opt;
  declare_fit_params(spec, 1e-3, "one_cycle", opt);
  spec.input("data", {NodeKind::Data}, "Training batches (x, y).");
  spec.input("model", {NodeKind::Model}, "The model to train (trained in place; later stages get it trained).");
  spec.input("loss", {NodeKind::Loss}, "Loss (output, target).");
  spec.input("valid", {NodeKind::Data}, "Validation batches.", false);
  spec.input("metrics", {NodeKind::Metric}, "Metrics (on validation when there is one, else on training batches).",
             false, true);
  spec.input("callbacks", {NodeKind::Callback}, "Callbacks.", false, true);
  spec.input("after", {NodeKind::Stage}, "Stages that must run first.", false, true);
  spec.factory = [](const BuildContext& c) -> std::shared_ptr<Node> {
    const Params& p = c.params();
    LearnerSettings s;
    s.epochs = p.i("epochs");
    s.max_batches = p.i("max_batches");
    s.schedule = read_schedule(p);
    s.opt = read_optimizer_params(p);
    s.precision = read_precision_params(p);
    return std::make_shared<LearnerStage>(s, c.input<DataSource>("data"), c.input<DataSource>("valid"),
                                          c.input<Model>("model"), c.input<Loss>("loss"),
                                          c.input_list<Metric>("metrics"), c.input_list<Callback>("callbacks"));
  };
  registry.add(std::move(spec));
}

}  // namespace ganflow
