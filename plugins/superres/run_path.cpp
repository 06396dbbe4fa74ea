#include "run_path.hpp"

#include <filesystem>

namespace ganflow_superres {

std::string resolve_run_path(const std::string& value, const std::string& run_dir, const std::string& param) {
  if (value.rfind("run:", 0) != 0) return value;
  if (run_dir.empty()) throw ganflow::Error("'" + value + "' names a file in the run folder, but there is none", "", param);
  return (std::filesystem::path(run_dir) / value.substr(4)).string();
}

}  // namespace ganflow_superres
