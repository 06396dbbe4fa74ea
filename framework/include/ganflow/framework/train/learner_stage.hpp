#pragma once
// The learner stage: one model, one loss, one optimiser; fastai fit / fit_one_cycle with
// callbacks, metrics and optional validation, on the one training loop (training_stage.hpp).
// Pretrains a generator or a critic and hands the trained model on to later stages
// (gan_from_learners).
#include <memory>

#include "ganflow/framework/train/training_stage.hpp"
#include "ganflow/loss.hpp"
#include "ganflow/metric.hpp"
#include "ganflow/model.hpp"

namespace ganflow {

class LearnerStage : public TrainingStage {
 public:
  LearnerStage(FitSettings s, std::shared_ptr<DataSource> train, std::shared_ptr<DataSource> valid,
               std::shared_ptr<Model> model, std::shared_ptr<Loss> loss, std::vector<std::shared_ptr<Metric>> metrics,
               std::vector<std::shared_ptr<Callback>> callbacks);
  std::shared_ptr<Model> model() const { return model_; }

  bool is_gan() const override { return false; }
  bool gen_mode() const override { return false; }
  void switch_mode() override;  // an Error: a learner has one network

 private:
  std::string kind() const override { return "learner"; }
  void prepare(const torch::Device& dev) override;
  std::vector<Optim*> optimizers() override { return {opt_.get()}; }
  std::vector<Network> networks() override;
  void begin_epoch() override;
  torch::Tensor batch_loss(const Batch& b) override;
  std::vector<std::string> columns() const override;
  void end_epoch(json& row) override;  // validation loss and metrics
  void save_state(Checkpoint& ck) const override;
  void load_state(const Checkpoint& ck) override;
  void finish() override;  // <stage>_model.pt
  double validate();       // mean loss; metrics accumulate on validation batches

  std::shared_ptr<DataSource> valid_;
  std::shared_ptr<Model> model_;
  std::shared_ptr<Loss> loss_;
  std::vector<std::shared_ptr<Metric>> metrics_;
  std::unique_ptr<Optim> opt_;
};

}  // namespace ganflow
