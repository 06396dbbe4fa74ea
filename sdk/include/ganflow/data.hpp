#pragma once
// DataSource: (x, y) batches on the training device. NoiseSource: generator input.
#include "ganflow/export.hpp"
#include <torch/types.h>

#include <cstdint>

#include "ganflow/node.hpp"

namespace ganflow {

struct Batch {
  torch::Tensor x, y;  // on the device; images are float in [-1, 1]
  // Class-conditional GAN batches (undefined otherwise), int64 [bs] on the device: the class of
  // each real image in y, and the class each generated image is drawn for (beside the noise x).
  torch::Tensor labels, gen_labels;
};

class GANFLOW_API DataSource : public Node {
 public:
  ~DataSource() override;
  virtual int64_t batch_size() const = 0;
  virtual int64_t batches_per_epoch() const = 0;
  // Begins epoch `epoch`, skipping its first `skip` batches (resume).
  virtual void start_epoch(int64_t epoch, int64_t skip, const torch::Device& device) = 0;
  virtual bool next(Batch& out) = 0;  // false at the end of the epoch
  virtual void stop() = 0;            // ends the epoch early; releases loader threads
  virtual int64_t skipped_items() const { return 0; }
};

class GANFLOW_API NoiseSource : public Node {
 public:
  ~NoiseSource() override;
  virtual torch::Tensor sample(int64_t n, const torch::Device& device) = 0;
  // Class-conditional noise: the number of classes the generator is asked for (0: unconditional),
  // and labels int64 [n] in [0, n_classes()) drawn beside sample() (an Error when unconditional).
  virtual int64_t n_classes() const { return 0; }
  virtual torch::Tensor sample_labels(int64_t n, const torch::Device& device);
};

}  // namespace ganflow
