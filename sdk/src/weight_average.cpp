#include "ganflow/weight_average.hpp"

namespace ganflow {

WeightAverage::~WeightAverage() = default;

void with_averaged_weights(const WeightAverage& average, const std::function<void()>& fn) {
  const StateDict averaged = average.averaged();
  if (averaged.size() == 0) return fn();
  torch::nn::Module& m = average.averaged_model()->module();
  const StateDict own = state_dict(m);
  load_state_dict(m, averaged, "the averaged weights");
  try {
    fn();
  } catch (...) {
    load_state_dict(m, own, "the model's own weights");
    throw;
  }
  load_state_dict(m, own, "the model's own weights");
}

}  // namespace ganflow
