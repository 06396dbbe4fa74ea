#pragma once
// One run folder read into JSON for `ganflow board` and `ganflow report`: its name, graph,
// status, metrics (step and epoch records), sample grids, graph diagram data and log tail.
// Nothing here throws for a damaged run: what cannot be read becomes a line in "problems".
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace ganflow::board {

using json = nlohmann::json;

// A folder is a run when it holds graph.json, log.txt or metrics.jsonl.
bool is_run_dir(const std::filesystem::path& dir);

// The run's list entry: name, graph_name, status, status_detail, last_epoch, last_step,
// best_fd, modified (seconds since the epoch) and problems.
json run_overview(const std::filesystem::path& dir, const std::string& name);

// Everything the page draws: the overview plus steps, epochs, samples, graph (each node's kind
// from the plugin registry), log_tail.
json run_details(const std::filesystem::path& dir, const std::string& name);

// The runs directly under runs_dir (or runs_dir itself when it is a run), newest first.
json list_runs(const std::filesystem::path& runs_dir);

}  // namespace ganflow::board
