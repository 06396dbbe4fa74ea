#include "ganflow/framework/plugin/plugin_loader.hpp"

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <set>

#include "ganflow/framework/plugin/plugin_descriptor.hpp"
#include "ganflow/plugin.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {
// Process-lifetime: plugin code (vtables, autograd nodes, deleters) may be referenced until
// exit, so the handles are deliberately never destroyed.
std::vector<boost::dll::shared_library>& loaded_libraries() {
  static auto* libs = new std::vector<boost::dll::shared_library>();
  return *libs;
}
}  // namespace

std::vector<std::string> plugin_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("GANFLOW_PLUGIN_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) dirs.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "lib" / "ganflow" / "plugins").string());
  return dirs;
}

void load_plugin_library(const std::string& path, HostRegistry& registry) {
  std::error_code ec;
  std::string canonical = fs::canonical(path, ec).string();
  if (ec) throw Error(path + ": cannot open plugin library (" + ec.message() + ")");
  if (registry.has_library(canonical)) return;

  ganflow_plugin_descriptor d = read_plugin_descriptor(path);
  if (std::string problem = check_plugin_descriptor(d, path); !problem.empty()) throw Error(problem);

  boost::dll::shared_library lib;
  try {
    lib.load(boost::dll::fs::path(path), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw Error(path + ": cannot load: " + e.what());
  }
  if (!lib.has("ganflow_register"))
    throw Error(path + ": no registration entry point 'ganflow_register' (missing GANFLOW_PLUGIN?)");
  auto& register_fn = lib.get_alias<RegisterFn>("ganflow_register");
  // Keep the library before running its code: anything it registers points into it.
  loaded_libraries().push_back(lib);
  registry.mark_library(canonical);

  registry.set_current_library(path);
  char err[512] = {0};
  int rc = register_fn(&registry, err, sizeof err);
  registry.set_current_library("builtin");
  if (rc != 0) {
    registry.forget_library(path);  // no half-registered library
    throw Error(path + ": registration failed: " + err);
  }
}

std::vector<std::string> load_plugins(const std::vector<std::string>& dirs, HostRegistry& registry) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (auto& dir : dirs) {
    std::error_code ec;
    bool exists = fs::is_directory(dir, ec);
    registry.note_searched(dir, exists);
    if (!exists) continue;
    std::vector<std::string> here;
    for (auto& e : fs::directory_iterator(dir, ec)) {
      auto name = e.path().filename().string();
      if (e.is_regular_file() && name.rfind("lib", 0) == 0 && e.path().extension() == ".so") here.push_back(e.path().string());
    }
    std::sort(here.begin(), here.end());
    for (auto& f : here)
      if (seen.insert(fs::canonical(f, ec).string()).second) files.push_back(f);
  }
  std::vector<std::string> loaded;
  for (auto& f : files) {
    try {
      load_plugin_library(f, registry);
      loaded.push_back(f);
    } catch (const Error& e) {
      registry.note_refused(e.message());
    }
  }
  return loaded;
}

}  // namespace ganflow
