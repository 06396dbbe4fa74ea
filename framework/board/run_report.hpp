#pragma once
// `ganflow report RUN --out report.html`: the board's view of one run as one self-contained
// HTML file. The page's script and style, chart.js and the run's data are inlined, and each
// sample grid is a data: URI, so the file opens from disk with no server and no network.
#include <string>

#include "run_summary.hpp"

namespace ganflow::board {

// Writes the report; returns a one-line summary. Throws ganflow::Error (one line) when RUN is
// not a run folder or the file cannot be written.
std::string write_report(const std::string& run_dir, const std::string& out);

}  // namespace ganflow::board
