#pragma once
// metrics.csv as fastai's and Lightning's CSV loggers write it: one row per epoch, one column
// per value (callbacks' recorded values included).
#include <string>

namespace ganflow {

// Rebuilds `csv` from the epoch records of `jsonl` (metrics.jsonl): columns stage, epoch,
// then every other value name in alphabetical order; an empty cell where a stage has no such
// value. A repeated (stage, epoch), as a resumed run may write, keeps its last record.
// Written to a temporary file and renamed, so a reader never sees half a table.
void write_metrics_csv(const std::string& jsonl, const std::string& csv);

}  // namespace ganflow
