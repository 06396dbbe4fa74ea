#include "ganflow/framework/train/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace ganflow {

namespace {
double cos_anneal(double start, double end, double pct) { return end + (start - end) / 2 * (std::cos(M_PI * pct) + 1); }
}  // namespace

ScheduleValue schedule_at(const ScheduleSettings& s, int64_t step, int64_t total) {
  if (s.kind != "one_cycle" || total <= 1) return {s.lr, std::nullopt};
  double up = std::max<double>(1, std::floor(s.pct_start * double(total)));
  double t = double(step);
  if (t < up) {
    double pct = t / up;
    return {cos_anneal(s.lr / s.div, s.lr, pct), cos_anneal(s.mom_max, s.mom_min, pct)};
  }
  double pct = std::min(1.0, (t - up) / std::max(1.0, double(total) - up));
  return {cos_anneal(s.lr, s.lr / s.final_div, pct), cos_anneal(s.mom_min, s.mom_max, pct)};
}

}  // namespace ganflow
