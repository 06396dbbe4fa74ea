#pragma once
// A callback that keeps an average of a model's weights (generator_ema: StyleGAN's G_ema).
// The training loop finds it among a stage's callbacks by this interface: it puts the average
// in every checkpoint and restores it on resume; a GAN stage draws its sample grids with the
// averaged generator and writes it as <stage>_generator_ema.pt, which `ganflow generate` uses
// unless --raw. Added in ABI 2.1 (a new interface; existing vtables unchanged).
#include <functional>
#include <memory>

#include "ganflow/export.hpp"
#include "ganflow/model.hpp"
#include "ganflow/state_dict.hpp"

namespace ganflow {

class GANFLOW_API WeightAverage {
 public:
  virtual ~WeightAverage();
  // The model whose weights are averaged (the node wired into the callback).
  virtual std::shared_ptr<Model> averaged_model() const = 0;
  // The averaged parameters and buffers by name, as state_dict(model) names them; empty
  // before training began.
  virtual StateDict averaged() const = 0;
  // From a checkpoint, before training (re)starts.
  virtual void load_averaged(const StateDict& sd) = 0;
};

// Runs `fn` with the averaged weights in the averaged model, then puts its own weights back
// (also when `fn` throws). Before there is an average, `fn` runs on the model as it is.
GANFLOW_API void with_averaged_weights(const WeightAverage& average, const std::function<void()>& fn);

}  // namespace ganflow
