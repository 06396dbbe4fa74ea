#pragma once
// The learner stage: one model, one loss, one optimiser; fastai fit / fit_one_cycle with
// callbacks, metrics and optional validation. Pretrains a generator or a critic and hands
// the trained model on to later stages (gan_from_learners).
#include <memory>

#include "ganflow/data.hpp"
#include "ganflow/framework/host_registry.hpp"
#include "ganflow/framework/train/loss_scaler.hpp"
#include "ganflow/framework/train/smoother.hpp"
#include "ganflow/framework/train/train_loop.hpp"
#include "ganflow/loss.hpp"
#include "ganflow/metric.hpp"

namespace ganflow {

struct LearnerSettings {
  int64_t epochs = 1, max_batches = 0;
  ScheduleSettings schedule;
  OptimizerSettings opt;
  PrecisionSettings precision;
};

class LearnerStage : public Stage, public TrainLoop {
 public:
  LearnerStage(LearnerSettings s, std::shared_ptr<DataSource> train, std::shared_ptr<DataSource> valid,
               std::shared_ptr<Model> model, std::shared_ptr<Loss> loss, std::vector<std::shared_ptr<Metric>> metrics,
               std::vector<std::shared_ptr<Callback>> callbacks);
  void run(RunContext& ctx) override;
  std::shared_ptr<Model> model() const { return model_; }

  bool is_gan() const override { return false; }
  bool gen_mode() const override { return false; }
  void switch_mode() override;  // an Error: a learner has one network
  void save_checkpoint_as(const std::string& tag) override;  // checkpoints/<stage>_<tag>.pt

 private:
  double validate(torch::Device dev);  // mean loss; metrics accumulate on validation batches
  // The model, optimiser, RNG, smoothed loss, loss scale, callback state and the position
  // (epoch, batches done) a resumed run continues from exactly.
  void save_checkpoint(int64_t epoch, int64_t batch, const std::string& path);
  std::pair<int64_t, int64_t> load_checkpoint(const std::string& path, torch::Device dev);

  LearnerSettings s_;
  std::shared_ptr<DataSource> train_, valid_;
  std::shared_ptr<Model> model_;
  std::shared_ptr<Loss> loss_;
  std::vector<std::shared_ptr<Metric>> metrics_;
  std::unique_ptr<Optim> opt_;
  LossScaler scaler_;  // enabled for fp16 only
  Smoother smooth_{0.98};
  std::string ckpt_dir_;
  std::pair<int64_t, int64_t> position_{0, 0};  // (epoch, batches done) a checkpoint resumes at
};

void register_learner_stage(HostRegistry& registry);

}  // namespace ganflow
