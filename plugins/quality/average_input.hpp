#pragma once
// The optional `average` port of the quality nodes (evaluate, quality_monitor): a
// generator_ema of their generator, whose averaged weights are then the ones measured.
#include <ganflow/ganflow.hpp>
#include <ganflow/weight_average.hpp>

#include <functional>
#include <memory>

namespace ganflow_quality {

void declare_average_input(ganflow::NodeSpec& s);
// nullptr when the port is not wired; an Error on the port when it averages another model.
std::shared_ptr<ganflow::WeightAverage> average_input(const ganflow::BuildContext& c,
                                                      const std::shared_ptr<ganflow::Model>& generator);
// Runs `fn` with the averaged weights in the generator when there is an average.
void with_average(const std::shared_ptr<ganflow::WeightAverage>& average, const std::function<void()>& fn);

}  // namespace ganflow_quality
