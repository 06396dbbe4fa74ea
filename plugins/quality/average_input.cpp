#include "average_input.hpp"

namespace ganflow_quality {

void declare_average_input(ganflow::NodeSpec& s) {
  s.input("average", {ganflow::NodeKind::Callback},
          "Optional: the generator_ema of the generator; its averaged weights are measured instead.", false);
}

std::shared_ptr<ganflow::WeightAverage> average_input(const ganflow::BuildContext& c,
                                                      const std::shared_ptr<ganflow::Model>& generator) {
  auto nodes = c.inputs("average");
  if (nodes.empty()) return nullptr;
  auto average = std::dynamic_pointer_cast<ganflow::WeightAverage>(nodes.front());
  if (!average)
    throw ganflow::Error("input 'average': '" + nodes.front()->name() + "' keeps no weight average (a generator_ema?)",
                         c.node_name());
  if (average->averaged_model() != generator)
    throw ganflow::Error("input 'average': '" + nodes.front()->name() + "' averages another model than 'generator'",
                         c.node_name());
  return average;
}

void with_average(const std::shared_ptr<ganflow::WeightAverage>& average, const std::function<void()>& fn) {
  if (average) ganflow::with_averaged_weights(*average, fn);
  else fn();
}

}  // namespace ganflow_quality
