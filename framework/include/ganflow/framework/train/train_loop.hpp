#pragma once
// What learner and GAN stages share: the Trainer view that callbacks see, callback dispatch
// in order, the lr/momentum schedule, and stage params (epochs, lr, schedule, optimiser).
#include <memory>
#include <vector>

#include "ganflow/callback.hpp"
#include "ganflow/data.hpp"
#include "ganflow/framework/train/optimizer.hpp"
#include "ganflow/framework/train/precision.hpp"
#include "ganflow/framework/train/schedule.hpp"
#include "ganflow/model.hpp"
#include "ganflow/stage.hpp"

namespace ganflow {

enum class Event { TrainBegin, EpochBegin, BatchBegin, BackwardBegin, StepEnd, BatchEnd, EpochEnd, TrainEnd };

// Declares epochs, lr, schedule, pct_start, max_batches, the optimiser and the precision params.
void declare_fit_params(NodeSpec& spec, double lr, const std::string& schedule, const OptimizerSettings& opt);
ScheduleSettings read_schedule(const Params& p);

class TrainLoop : public Trainer {
 public:
  explicit TrainLoop(std::vector<std::shared_ptr<Callback>> callbacks);
  bool training() const override { return training_; }
  const torch::Tensor& last_loss() const override { return last_loss_; }
  double lr() const override { return active_->lr(); }
  void scale_lr(double factor) override { active_->scale_lr(factor); }
  int64_t step() const override { return step_; }
  int64_t epoch() const override { return epoch_; }
  void warn(const std::string& message) override;
  void info(const std::string& message) override;
  void record(const std::string& key, double value) override { epoch_extra_[key] = value; }

 protected:
  void dispatch(Event e);
  // Sets lr (and one-cycle momentum) of every optimiser for training step `step_`.
  void apply_schedule(const ScheduleSettings& s, int64_t total_steps, const std::vector<Optim*>& opts);
  // Callback state for a checkpoint, keyed by node name, and its restore: a callback missing
  // from the checkpoint is an error naming it (state would be silently reset otherwise).
  json callback_states() const;
  void load_callback_states(const json& states, const std::string& path, const std::string& stage);
  // Puts this epoch's count of skipped bad items into `row` and, when there were any, logs it
  // with the first one's reason.
  void note_skipped_items(const DataSource& data, json& row, const std::string& stage);
  // Throws, naming the stage and the step, when `value` is NaN or infinite.
  static void check_finite(double value, const std::string& what, int64_t step, const std::string& stage);

  RunContext* ctx_ = nullptr;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  Optim* active_ = nullptr;
  bool training_ = true;
  torch::Tensor last_loss_;
  int64_t step_ = 0, epoch_ = 0;
  json epoch_extra_ = json::object();  // values callbacks recorded for this epoch's row
};

}  // namespace ganflow
