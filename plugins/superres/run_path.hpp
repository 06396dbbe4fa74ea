#pragma once
// "run:<sub>" params name <run folder>/<sub>, so a graph can hand files between its stages
// without knowing where the run folder is.
#include <ganflow/ganflow.hpp>

#include <string>

namespace ganflow_superres {

// `value` resolved against `run_dir`; a "run:" value without a run folder is an Error on `param`.
std::string resolve_run_path(const std::string& value, const std::string& run_dir, const std::string& param);

}  // namespace ganflow_superres
