#include "ganflow/framework/session/process_identity.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace ganflow {

namespace {
constexpr const char* kPrefix = "process ";

// Field 22 of /proc/<pid>/stat (starttime), or "" when the process does not exist. The second
// field (the command) is in parentheses and may hold spaces, so fields count from its ')'.
std::string start_ticks(const std::string& pid) {
  std::ifstream f("/proc/" + pid + "/stat");
  std::string stat;
  if (!f || !std::getline(f, stat)) return "";
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return field;
  return "";
}
}  // namespace

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::string process_identity_line() {
  const std::string pid = std::to_string(getpid());
  return kPrefix + pid + " on " + host_name() + ", started " + start_ticks(pid);
}

ProcessState process_state(const std::string& line) {
  std::istringstream in(line);
  std::string word, pid, on, host, started, ticks;
  in >> word >> pid >> on >> host >> started >> ticks;
  if (word + " " != kPrefix || on != "on" || started != "started" || host.empty() || host.back() != ',' || ticks.empty())
    return ProcessState::unknown;
  host.pop_back();
  if (host.empty() || host != host_name() || pid.find_first_not_of("0123456789") != std::string::npos)
    return ProcessState::unknown;
  return start_ticks(pid) == ticks ? ProcessState::alive : ProcessState::gone;
}

}  // namespace ganflow
