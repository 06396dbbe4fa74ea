#pragma once
// `ganflow board`: a read-only HTTP server (cpp-httplib) for the runs under one folder. Routes:
//   /                      the page (embedded board.html + /static/board.js, board.css, chart.js)
//   /api/runs              every run's overview (run_summary.hpp)
//   /api/runs/NAME         one run's details (404 with {"error"} for an unknown run)
//   /runs/NAME/PATH        a file of a run (the sample grids), only under RUNS_DIR
// Paths with "..", absolute paths (decoded, so %2e%2e too) are refused with 403, as are paths
// and runs whose real location (symlinks resolved) leaves RUNS_DIR; missing files are 404.
#include <string>

#include "run_summary.hpp"

namespace ganflow::board {

struct BoardOptions {
  std::string runs_dir = "runs";
  std::string host = "127.0.0.1";
  int port = 6006;
};

// Serves until the process is stopped. Throws ganflow::Error (one line) when RUNS_DIR is not a
// folder or the address cannot be bound (a port in use is named).
void serve_board(const BoardOptions& options);

// The real location of RUNS_DIR/rel when it stays inside RUNS_DIR; "" when rel climbs out
// ("..", an absolute path, a symlink leading outside). Exposed for the report and the tests.
std::string inside(const std::string& runs_dir, const std::string& rel);

}  // namespace ganflow::board
