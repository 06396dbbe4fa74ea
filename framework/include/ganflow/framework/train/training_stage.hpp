#pragma once
// The one training loop every training stage runs (learner, gan, gan_wgan, gan_from_learners).
// The loop owns epochs and batches, the lr schedule, callback dispatch, loss smoothing and the
// NaN check, autocast and loss scaling around one backward and one optimiser step, the
// progress bar, epoch rows and step records, periodic / epoch-end / Ctrl-C checkpoints and
// resume, sample grids and the loss plot; it is also the Trainer that callbacks see. A stage
// derives from it and supplies only what differs: its networks and optimisers, the forward
// and loss of one batch, and what it adds to rows, checkpoints and the run folder.
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include <torch/nn/module.h>

#include "ganflow/callback.hpp"
#include "ganflow/data.hpp"
#include "ganflow/framework/report/loss_plot.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/framework/train/loss_scaler.hpp"
#include "ganflow/framework/train/optimizer.hpp"
#include "ganflow/framework/train/precision.hpp"
#include "ganflow/framework/train/schedule.hpp"
#include "ganflow/framework/train/smoother.hpp"
#include "ganflow/stage.hpp"
#include "ganflow/weight_average.hpp"

namespace ganflow {

class CudaGraphSteps;
class DistGroup;
class GradientReducer;
class Reporter;

enum class Event { TrainBegin, EpochBegin, BatchBegin, BackwardBegin, StepEnd, BatchEnd, EpochEnd, TrainEnd };

struct FitSettings {  // read from the params fit_fields declares (their defaults are there)
  int64_t epochs{}, max_batches{}, log_every{}, checkpoint_every{};
  double beta{};
  bool sync_bn{}, tensorboard{}, cuda_graphs{};
  double bucket_cap_mb{};
  ScheduleSettings schedule;
  OptimizerSettings opt;
  PrecisionSettings precision;
};

// Declares the params of FitSettings on a training stage's spec, with these defaults.
Fields<FitSettings> fit_fields(NodeSpec& spec, double lr, const std::string& schedule, const OptimizerSettings& opt);

class TrainingStage : public Stage, public Trainer {
 public:
  TrainingStage(FitSettings s, std::shared_ptr<DataSource> data, std::vector<std::shared_ptr<Callback>> callbacks);
  ~TrainingStage() override;
  void run(RunContext& ctx) final;

  bool training() const override { return training_; }
  const torch::Tensor& last_loss() const override { return last_loss_; }
  double lr() const override { return active_->lr(); }
  void scale_lr(double factor) override { active_->scale_lr(factor); }
  int64_t step() const override { return step_; }
  int64_t epoch() const override { return epoch_; }
  void warn(const std::string& message) override;
  void info(const std::string& message) override;
  void record(const std::string& key, double value) override { epoch_extra_[key] = value; }
  void save_checkpoint_as(const std::string& tag) override;  // checkpoints/<stage>_<tag>.pt
  int64_t batch_size() const override;  // of this step over every rank

 protected:
  // ---- What a stage supplies ----
  virtual std::string kind() const = 0;  // written into checkpoints; a resume checks it
  // Networks to `dev` (and its layout), optimisers made, `active_` set; once, before a resume.
  virtual void prepare(const torch::Device& dev) = 0;
  // Every network the stage trains or uses (data-parallel runs start from rank 0's weights),
  // named by its role, as its final weights file is (<stage>_<role>.pt).
  struct Network {
    std::string role;  // "generator", "critic", "model"
    torch::nn::Module* module;
  };
  virtual std::vector<Network> networks() = 0;
  virtual std::vector<Optim*> optimizers() = 0;  // every optimiser (asked once, after prepare); the schedule sets them all
  virtual void begin_epoch() = 0;                // networks to training mode, per-epoch state reset
  virtual void before_batch(const Batch&) {}     // before BatchBegin is dispatched
  // The forward passes and the loss of one training batch, under the stage's autocast; the
  // loop runs backward and steps `active_`.
  virtual torch::Tensor batch_loss(const Batch& b) = 0;
  // cuda_graphs: a stage whose batch_loss keeps no state outside the tensors it returns or
  // stashes says what else makes this step's kernels differ from another step of the same
  // batch shape (a GAN's mode, a lazy penalty's step); nullopt: its steps cannot be captured.
  virtual std::optional<int64_t> step_graph_variant() const { return std::nullopt; }
  // The step's gradients are ready (after backward, or a CUDA graph's replay): before the
  // optimiser step and StepEnd. Host-side work on what batch_loss stashed goes here.
  virtual void after_backward() {}
  virtual void after_step(const torch::Tensor& /*loss*/) {}  // the step is done; before BatchEnd
  virtual std::vector<std::string> columns() const { return {}; }  // epoch-table columns of its own
  virtual void end_epoch(json& /*row*/) {}  // adds its values (validation, metrics) to the row
  virtual json step_fields() const { return json::object(); }  // added to each step record
  virtual std::string progress_text() const;  // the losses on the progress line
  virtual void save_state(Checkpoint& ck) const = 0;
  virtual void load_state(const Checkpoint& ck) = 0;
  virtual torch::Tensor samples() { return {}; }  // this epoch's sample images; undefined: none
  virtual int64_t sample_columns() const { return 0; }  // images per row of their grid; 0: square
  virtual std::optional<LossPoint> loss_point() const { return std::nullopt; }  // for the loss plot
  virtual void finish() = 0;  // training ended: the final model files

  // ---- What the loop gives a stage ----
  void dispatch(Event e);
  const FitSettings& settings() const { return s_; }
  const std::shared_ptr<DataSource>& data() const { return data_; }
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }  // in dispatch order
  RunContext& ctx() const { return *ctx_; }
  DistGroup* dist() const { return dist_; }  // the process group of a data-parallel run, or nullptr
  bool writes() const;                       // this process writes the run folder (rank 0)
  const torch::Device& device() const { return device_; }
  bool channels_last() const { return channels_last_; }  // models and batches in NHWC (channels_last param)
  const Smoother& smoothed_loss() const { return smooth_; }
  static std::string format_loss(const Smoother& s);  // "%.4f"; "-" before the first value

  Optim* active_ = nullptr;  // the optimiser the next step updates
  bool training_ = true;     // false while a stage validates
  torch::Tensor last_loss_;
  int64_t batch_size_ = 0;   // of the batch being trained or validated
  // The callback that averages `model`'s weights (generator_ema), or nullptr.
  const WeightAverage* weight_average_of(const Model& model) const;

 private:
  void train_batch(const Batch& b);
  void start_graphs(const std::string& precision);  // cuda_graphs: checked, then set up on CUDA
  torch::Tensor forward_loss(const Batch& b);  // batch_loss under the stage's autocast, as fp32
  torch::Tensor graphed_step(const Batch& b);
  void log_step(Reporter& report);
  void end_of_epoch(Reporter& report, int64_t images, std::chrono::steady_clock::time_point t0);
  void save_checkpoint(int64_t epoch, int64_t batch, const std::string& path);
  std::pair<int64_t, int64_t> load_checkpoint(const std::string& path);
  void note_skipped_items(json& row);
  void check_finite(double value) const;
  void agree_step();         // data-parallel, before backward: the loss, the stop flag, the mode and step
  void average_gradients();  // data-parallel, after backward: the gradients' mean over ranks
  void seed_step();  // data-parallel: each rank's RNG from (seed, rank, step)
  bool stop_now() const;
  void start_together();
  std::string checkpoint_path(const std::string& tag) const;

  FitSettings s_;
  std::shared_ptr<DataSource> data_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  RunContext* ctx_ = nullptr;
  DistGroup* dist_ = nullptr;
  bool stop_agreed_ = false;  // data-parallel: some rank asked to stop (SIGINT) at the last step
  std::unique_ptr<GradientReducer> reducer_;  // data-parallel runs
  std::unique_ptr<CudaGraphSteps> graphs_;    // cuda_graphs on a CUDA device
  // This epoch's time blocked in agree_step and average_gradients (waiting for the slowest rank
  // included; not the sums that ran during backward): allreduce_ms in the row.
  struct {
    double seconds = 0;
    int64_t steps = 0;
  } sync_;
  torch::Device device_ = torch::kCPU;
  std::optional<at::ScalarType> autocast_;  // nullopt: fp32
  bool channels_last_ = false;
  LossScaler scaler_;                       // enabled for fp16 only
  Smoother smooth_;
  int64_t step_ = 0, epoch_ = 0;
  std::pair<int64_t, int64_t> position_{0, 0};  // (epoch, batches done) a checkpoint resumes at
  json epoch_extra_ = json::object();           // values callbacks recorded for this epoch's row
  std::vector<LossPoint> loss_history_;         // every log_every steps (not checkpointed)
};

}  // namespace ganflow
