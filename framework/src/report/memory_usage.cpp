#include "ganflow/framework/report/memory_usage.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace ganflow {

MemoryUsage memory_usage() {
  MemoryUsage m;
  long pages_total = 0, pages_resident = 0;
  std::ifstream statm("/proc/self/statm");
  if (statm >> pages_total >> pages_resident) m.rss_mb = double(pages_resident) * double(sysconf(_SC_PAGESIZE)) / (1 << 20);
  std::ifstream status("/proc/self/status");
  for (std::string key; status >> key;) {
    if (key == "RssAnon:") {
      double kib = 0;
      if (status >> kib) m.rss_anon_mb = kib / 1024;
      break;
    }
    status.ignore(1 << 12, '\n');
  }
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) == 0) m.peak_rss_mb = double(u.ru_maxrss) / 1024;  // ru_maxrss is in KiB
  return m;
}

}  // namespace ganflow
