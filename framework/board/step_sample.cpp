#include "step_sample.hpp"

namespace ganflow::board {

void StepSample::add(const std::string& line) {
  latest_kept_ = seen_ % stride_ == 0;
  if (latest_kept_) kept_.push_back(line);
  else latest_ = line;
  ++seen_;
  if (kept_.size() < 2 * limit_) return;
  // Every other kept record goes: those at multiples of the doubled stride stay.
  std::size_t w = 1;  // kept_[0] stays where it is (a self-move would empty it)
  for (std::size_t r = 2; r < kept_.size(); r += 2) kept_[w++] = std::move(kept_[r]);
  kept_.resize(w);
  stride_ *= 2;
  if (latest_kept_ && (seen_ - 1) % stride_ != 0) latest_ = line, latest_kept_ = false;
}

nlohmann::json StepSample::records() const {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& l : kept_) out.push_back(nlohmann::json::parse(l));
  if (!latest_kept_ && !latest_.empty()) out.push_back(nlohmann::json::parse(latest_));
  return out;
}

}  // namespace ganflow::board
