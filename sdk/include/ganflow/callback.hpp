#pragma once
// Callbacks see the training loop through Trainer. Switchers are callbacks that call
// switch_mode(); GANDiscriminativeLR-style callbacks read and scale the active optimiser's lr.
#include "ganflow/export.hpp"
#include <torch/types.h>

#include <string>

#include "ganflow/node.hpp"

namespace ganflow {

class GANFLOW_API Trainer {
 public:
  virtual ~Trainer();
  virtual bool is_gan() const = 0;
  virtual bool gen_mode() const = 0;          // true: the generator trains this batch
  virtual void switch_mode() = 0;             // flips generator <-> critic (GAN stages only)
  virtual bool training() const = 0;          // false on validation batches
  virtual const torch::Tensor& last_loss() const = 0;  // raw loss of this batch (0-dim)
  virtual double lr() const = 0;              // active optimiser, first param group
  virtual void scale_lr(double factor) = 0;   // every group of the active optimiser
  virtual int64_t step() const = 0;           // training batches done so far
  virtual int64_t epoch() const = 0;
  virtual void warn(const std::string& message) = 0;  // one "warning: " line in the log
  virtual void info(const std::string& message) = 0;  // one plain line in the log
  // Adds a value to this epoch's row (epoch table, metrics.jsonl, metrics.csv).
  virtual void record(const std::string& key, double value) = 0;
  // Writes the stage's full checkpoint as checkpoints/<stage>_<tag>.pt (e.g. "best").
  virtual void save_checkpoint_as(const std::string& tag) = 0;
  // Since ABI 2.1. Images in this step: the batch's first dimension, times the ranks of a
  // data-parallel run (each rank trains an equal share of the step).
  virtual int64_t batch_size() const = 0;
};

class GANFLOW_API Callback : public Node {
 public:
  ~Callback() override;
  // Lower runs first. GANTrainer's own work runs before every plugin callback.
  virtual int order() const { return 0; }
  virtual void on_train_begin(Trainer&) {}
  virtual void on_epoch_begin(Trainer&) {}
  virtual void on_batch_begin(Trainer&) {}
  virtual void on_backward_begin(Trainer&) {}
  virtual void on_step_end(Trainer&) {}
  virtual void on_batch_end(Trainer&) {}
  virtual void on_epoch_end(Trainer&) {}
  virtual void on_train_end(Trainer&) {}
  // Saved in and restored from checkpoints, under the callback's node name.
  virtual json state() const { return json::object(); }
  virtual void load_state(const json&) {}
};

}  // namespace ganflow
