#pragma once
// Learning-rate (and momentum) schedules: constant (fastai fit) and one-cycle
// (fastai v1 fit_one_cycle: cosine warm-up from lr/div to lr over pct_start, then cosine
// down to lr/(div*1e4); momentum 0.95 -> 0.85 -> 0.95 in the opposite direction).
#include <cstdint>
#include <optional>
#include <string>

namespace ganflow {

struct ScheduleSettings {
  std::string kind = "constant";  // constant | one_cycle
  double lr = 1e-3, pct_start = 0.3, div = 25.0, final_div = 25e4;
  double mom_max = 0.95, mom_min = 0.85;
};

struct ScheduleValue {
  double lr;
  std::optional<double> momentum;  // set only by one_cycle
};

ScheduleValue schedule_at(const ScheduleSettings& s, int64_t step, int64_t total_steps);

}  // namespace ganflow
