#pragma once
// metrics.csv as fastai's and Lightning's CSV loggers write it: one row per epoch, one column
// per value (callbacks' recorded values included).
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ganflow/params.hpp"

namespace ganflow {

// The table of a run's epoch records: columns stage, epoch, then every other value name in
// alphabetical order; an empty cell where a stage has no such value. A repeated (stage, epoch),
// as a resumed run may write, keeps its last record in the first one's place. It starts from
// the epoch records metrics.jsonl already holds (earlier stages, the epochs before a resume)
// and then takes each new one, so an epoch's end writes the table from memory instead of
// parsing every step line of the jsonl again.
class MetricsCsv {
 public:
  MetricsCsv(const std::string& jsonl, std::string csv);
  // An epoch record ("kind" is left out), then the file rewritten.
  void add(json record);
  // Written to a temporary file and renamed, so a reader never sees half a table.
  void write() const;

 private:
  void take(json record);
  std::string csv_;
  std::vector<json> rows_;
  std::map<std::pair<std::string, std::string>, std::size_t> row_of_;  // (stage, epoch) -> row
  std::set<std::string> columns_;
};

}  // namespace ganflow
