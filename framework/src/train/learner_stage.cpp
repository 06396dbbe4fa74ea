#include "ganflow/framework/train/learner_stage.hpp"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "ganflow/framework/report/reporter.hpp"
#include "ganflow/framework/train/autocast_scope.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/framework/train/loss_scaler.hpp"
#include "ganflow/framework/train/smoother.hpp"

namespace fs = std::filesystem;

namespace ganflow {

LearnerStage::LearnerStage(LearnerSettings s, std::shared_ptr<DataSource> train, std::shared_ptr<DataSource> valid,
                           std::shared_ptr<Model> model, std::shared_ptr<Loss> loss,
                           std::vector<std::shared_ptr<Metric>> metrics, std::vector<std::shared_ptr<Callback>> callbacks)
    : TrainLoop(std::move(callbacks)), s_(s), train_(std::move(train)), valid_(std::move(valid)),
      model_(std::move(model)), loss_(std::move(loss)), metrics_(std::move(metrics)) {}

void LearnerStage::save_checkpoint_as(const std::string& tag) {
  save_model_file(model_->module(), (fs::path(ctx_->run_dir()) / (name() + "_" + tag + "_model.pt")).string());
}

void LearnerStage::switch_mode() { throw Error("switch_mode called in a learner stage (one network)", name()); }

void LearnerStage::run(RunContext& ctx) {
  ctx_ = &ctx;
  torch::Device dev = ctx.device();
  std::optional<at::ScalarType> autocast = autocast_dtype_for(s_.precision, dev, name());
  LossScaler scaler(s_.precision.precision == "fp16");
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
  Smoother smooth(0.98);

  dispatch(Event::TrainBegin);
  for (epoch_ = 0; epoch_ < s_.epochs && !ctx.stop_requested(); ++epoch_) {
    auto t0 = std::chrono::steady_clock::now();
    model_->module().train();
    training_ = true;
    dispatch(Event::EpochBegin);
    report.epoch_begin(epoch_, per_epoch);
    for (auto& m : metrics_) m->reset();
    train_->start_epoch(epoch_, 0, dev);
    Batch b;
    int64_t done = 0, images = 0;
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
      smooth.add(last_loss_);
      if (!valid_)
        for (auto& m : metrics_) m->accumulate(out.detach(), b.y);
      dispatch(Event::BackwardBegin);
      scaler.scale(loss).backward();
      scaler.step(*opt_);  // fp16: skipped when a gradient overflowed
      dispatch(Event::StepEnd);
      opt_->zero_grad();
      ++step_, ++done, images += b.x.size(0);
      dispatch(Event::BatchEnd);
      report.batch(done, images, [&] { return "loss " + std::to_string(smooth.value()); });
    }
    train_->stop();
    if (done == 0) throw Error("the data gave no batch in epoch " + std::to_string(epoch_), name());
    check_finite(smooth.value(), "the training loss", step_, name());
    json row = {{"epoch", epoch_}, {"train_loss", smooth.value()}, {"step", step_}};
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
  }
  dispatch(Event::TrainEnd);
  save_model_file(model_->module(), (fs::path(ctx.run_dir()) / (name() + "_model.pt")).string());
}

double LearnerStage::validate(torch::Device dev) {
  torch::NoGradGuard ng;
  training_ = false;
  model_->module().eval();
  valid_->start_epoch(0, 0, dev);
  Batch b;
  torch::Tensor total = torch::zeros({}, torch::TensorOptions(dev).dtype(torch::kFloat64));
  int64_t n = 0;
  while (valid_->next(b)) {  // in fp32: validation numbers do not depend on the training precision
    torch::Tensor out = model_->forward(in_layout(b.x, s_.precision));
    total += loss_->forward(out, b.y).to(torch::kFloat64) * b.x.size(0);
    n += b.x.size(0);
    for (auto& m : metrics_) m->accumulate(out, b.y);
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
