#include "ganflow/framework/train/train_loop.hpp"

#include "ganflow/framework/data/loader_data_source.hpp"

#include <algorithm>
#include <cmath>

namespace ganflow {

void declare_fit_params(NodeSpec& spec, double lr, const std::string& schedule, const OptimizerSettings& opt) {
  spec.param_int("epochs", 1, "Epochs to train.").at_least(1);
  spec.param_float("lr", lr, "Learning rate (the peak under one_cycle).").range(0, 10);
  spec.param_enum("schedule", {"constant", "one_cycle"}, schedule, "fastai fit (constant) or fit_one_cycle.");
  spec.param_float("pct_start", 0.3, "one_cycle: fraction of steps spent warming up.").range(0, 1);
  spec.param_int("max_batches", 0, "Stop each epoch after this many batches (0: the whole epoch).").at_least(0);
  declare_optimizer_params(spec, opt);
  declare_precision_params(spec);
}

ScheduleSettings read_schedule(const Params& p) {
  ScheduleSettings s;
  s.kind = p.s("schedule");
  s.lr = p.f("lr");
  s.pct_start = p.f("pct_start");
  return s;
}

TrainLoop::TrainLoop(std::vector<std::shared_ptr<Callback>> callbacks) : callbacks_(std::move(callbacks)) {
  std::stable_sort(callbacks_.begin(), callbacks_.end(), [](auto& a, auto& b) { return a->order() < b->order(); });
}

void TrainLoop::warn(const std::string& message) {
  if (ctx_) ctx_->log("warning: " + message);
}

void TrainLoop::info(const std::string& message) {
  if (ctx_) ctx_->log(message);
}

json TrainLoop::callback_states() const {
  json states = json::object();
  for (auto& cb : callbacks_) states[cb->name()] = cb->state();
  return states;
}

void TrainLoop::load_callback_states(const json& states, const std::string& path, const std::string& stage) {
  for (auto& cb : callbacks_) {
    if (!states.is_object() || !states.contains(cb->name()))
      throw Error("checkpoint '" + path + "' has no state for callback '" + cb->name() +
                  "' (was the graph's callback list changed?)",
                  stage);
    cb->load_state(states[cb->name()]);
  }
}

void TrainLoop::note_skipped_items(const DataSource& data, json& row, const std::string& stage) {
  int64_t skipped = data.skipped_items();
  row["skipped_items"] = skipped;
  if (skipped == 0 || !ctx_) return;
  std::string line = "warning: " + stage + ": skipped " + std::to_string(skipped) + " bad item" +
                     (skipped == 1 ? "" : "s") + " in epoch " + std::to_string(epoch_);
  if (auto* loader = dynamic_cast<const LoaderDataSource*>(&data)) line += "; the first: " + loader->first_skipped();
  ctx_->log(line);
}

void TrainLoop::dispatch(Event e) {
  for (auto& cb : callbacks_) {
    switch (e) {
      case Event::TrainBegin: cb->on_train_begin(*this); break;
      case Event::EpochBegin: cb->on_epoch_begin(*this); break;
      case Event::BatchBegin: cb->on_batch_begin(*this); break;
      case Event::BackwardBegin: cb->on_backward_begin(*this); break;
      case Event::StepEnd: cb->on_step_end(*this); break;
      case Event::BatchEnd: cb->on_batch_end(*this); break;
      case Event::EpochEnd: cb->on_epoch_end(*this); break;
      case Event::TrainEnd: cb->on_train_end(*this); break;
    }
  }
}

void TrainLoop::apply_schedule(const ScheduleSettings& s, int64_t total_steps, const std::vector<Optim*>& opts) {
  ScheduleValue v = schedule_at(s, step_, total_steps);
  for (auto* o : opts) {
    o->set_lr(v.lr);
    if (v.momentum) o->set_momentum(*v.momentum);
  }
}

void TrainLoop::check_finite(double value, const std::string& what, int64_t step, const std::string& stage) {
  if (!std::isfinite(value))
    throw Error(what + " is " + std::string(std::isnan(value) ? "NaN" : "infinite") + " at step " +
                    std::to_string(step) + "; stopping (lower the lr, or check the data and the loss)",
                stage);
}

}  // namespace ganflow
