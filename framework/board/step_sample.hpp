#pragma once
// The step records of one stage that the board's charts draw, bounded however long the run: all
// of them up to 2 x `limit`, then every stride-th, the stride doubling (and every other record
// kept so far dropped) whenever 2 x `limit` are kept; plus always the latest record. TensorBoard
// likewise draws a sample of a long scalar series (1000 points by default). Records are kept as
// their metrics.jsonl lines, a fraction of a parsed record's memory.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ganflow::board {

class StepSample {
 public:
  explicit StepSample(std::size_t limit = 1000) : limit_(limit) {}
  void add(const std::string& line);  // a complete metrics.jsonl line holding a step record
  nlohmann::json records() const;      // the kept records in file order, the latest last

 private:
  std::size_t limit_;
  int64_t stride_ = 1, seen_ = 0;
  std::vector<std::string> kept_;  // the lines of records seen_ % stride_ == 0
  std::string latest_;
  bool latest_kept_ = false;       // the latest record is kept_.back()
};

}  // namespace ganflow::board
