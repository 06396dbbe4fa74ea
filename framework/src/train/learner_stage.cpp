#include "ganflow/framework/train/learner_stage.hpp"

#include <torch/torch.h>

#include <filesystem>

#include "ganflow/framework/dist/dist_group.hpp"
#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/layers/channels_last.hpp"

namespace fs = std::filesystem;

namespace ganflow {

LearnerStage::LearnerStage(FitSettings s, std::shared_ptr<DataSource> train, std::shared_ptr<DataSource> valid,
                           std::shared_ptr<Model> model, std::shared_ptr<Loss> loss,
                           std::vector<std::shared_ptr<Metric>> metrics, std::vector<std::shared_ptr<Callback>> callbacks)
    : TrainingStage(std::move(s), std::move(train), std::move(callbacks)), valid_(std::move(valid)),
      model_(std::move(model)), loss_(std::move(loss)), metrics_(std::move(metrics)) {}

void LearnerStage::switch_mode() { throw Error("switch_mode called in a learner stage (one network)", name()); }

void LearnerStage::prepare(const torch::Device& dev) {
  model_->module().to(dev);
  if (channels_last()) layers::to_channels_last(model_->module());
  for (auto& p : model_->module().parameters()) p.requires_grad_(true);
  opt_ = std::make_unique<Optim>(settings().opt, settings().schedule.lr, model_->module().parameters());
  active_ = opt_.get();
}

std::vector<TrainingStage::Network> LearnerStage::networks() { return {{"model", &model_->module()}}; }

void LearnerStage::begin_epoch() {
  model_->module().train();
  for (auto& m : metrics_) m->reset();
}

torch::Tensor LearnerStage::batch_loss(const Batch& b) {
  torch::Tensor out = model_->forward(in_layout(b.x, channels_last()));
  torch::Tensor loss = loss_->forward(out, b.y);
  if (!valid_)  // metrics in fp32, on the training batches when there is no validation
    for (auto& m : metrics_) m->accumulate(out.detach().to(torch::kFloat), b.y);
  return loss;
}

std::vector<std::string> LearnerStage::columns() const {
  std::vector<std::string> cols = {"valid_loss"};
  for (auto& m : metrics_) cols.push_back(m->name());
  return cols;
}

void LearnerStage::end_epoch(json& row) {
  if (valid_) {
    for (auto& m : metrics_) m->reset();
    row["valid_loss"] = validate();
  }
  for (auto& m : metrics_) {
    double v = m->value();
    if (dist()) {  // each rank measured its equal share: the mean of the ranks' means
      torch::Tensor t = torch::full({1}, v, torch::TensorOptions(device()).dtype(torch::kDouble));
      dist()->sum(t, "metric '" + m->name() + "'");
      v = t.item<double>() / dist()->size();
    }
    row[m->name()] = v;
  }
}

void LearnerStage::save_state(Checkpoint& ck) const {
  ck.put("model", state_dict(model_->module()));
  ck.put("opt", optimizer_state(opt_->torch_optimizer()));
}

void LearnerStage::load_state(const Checkpoint& ck) {
  load_state_dict(model_->module(), ck.state("model"), ck.path() + " [model]");
  load_optimizer_state(opt_->torch_optimizer(), ck.at("opt").toTensor());
}

void LearnerStage::finish() {
  if (writes()) save_state_dict_file(model_->module(), (fs::path(ctx().run_dir()) / (name() + "_model.pt")).string());
}

double LearnerStage::validate() {
  torch::NoGradGuard ng;
  training_ = false;
  model_->module().eval();
  valid_->start_epoch(0, 0, device());
  Batch b;
  torch::Tensor total = torch::zeros({}, torch::TensorOptions(device()).dtype(torch::kFloat64));
  int64_t n = 0;
  // As fastai: validation batches dispatch batch events with training() false (no backward,
  // no step events), so callbacks see them and tell them apart.
  while (valid_->next(b)) {  // in fp32: validation numbers do not depend on the training precision
    batch_size_ = b.x.size(0);
    dispatch(Event::BatchBegin);
    torch::Tensor out = model_->forward(in_layout(b.x, channels_last()));
    last_loss_ = loss_->forward(out, b.y).to(torch::kFloat);
    total += last_loss_.to(torch::kFloat64) * b.x.size(0);
    n += b.x.size(0);
    for (auto& m : metrics_) m->accumulate(out, b.y);
    dispatch(Event::BatchEnd);
  }
  valid_->stop();
  model_->module().train();
  training_ = true;
  if (dist()) {  // each rank validated its shard
    torch::Tensor both = torch::stack({total, torch::full({}, double(n), total.options())});
    dist()->sum(both, "validation");
    total = both[0], n = int64_t(both[1].item<double>());
  }
  return n ? total.item<double>() / double(n) : NAN;
}

void register_learner_stage(HostRegistry& registry) {
  NodeSpec spec("learner", NodeKind::Stage,
                "Train one model with one loss (fastai Learner fit / fit_one_cycle): pretrain a generator or a critic.");
  OptimizerSettings opt;
  auto fit = fit_fields(spec, 1e-3, "one_cycle", opt);
  spec.input("data", {NodeKind::Data}, "Training batches (x, y).");
  spec.input("model", {NodeKind::Model}, "The model to train (trained in place; later stages get it trained).");
  spec.input("loss", {NodeKind::Loss}, "Loss (output, target).");
  spec.input("valid", {NodeKind::Data}, "Validation batches.", false);
  spec.input("metrics", {NodeKind::Metric}, "Metrics (on validation when there is one, else on training batches).",
             false, true);
  spec.input("callbacks", {NodeKind::Callback}, "Callbacks.", false, true);
  spec.input("after", {NodeKind::Stage}, "Stages that must run first.", false, true);
  spec.factory = [fit](const BuildContext& c) -> std::shared_ptr<Node> {
    return std::make_shared<LearnerStage>(fit.read(c.params()), c.input<DataSource>("data"),
                                          c.input<DataSource>("valid"), c.input<Model>("model"), c.input<Loss>("loss"),
                                          c.input_list<Metric>("metrics"), c.input_list<Callback>("callbacks"));
  };
  registry.add(std::move(spec));
}

}  // namespace ganflow
