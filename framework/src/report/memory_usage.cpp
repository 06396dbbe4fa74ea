#include "ganflow/framework/report/memory_usage.hpp"

#include <sys/resource.h>

#include <fstream>
#include <string>

namespace ganflow {

MemoryUsage memory_usage() {
  MemoryUsage m;
  std::ifstream status("/proc/self/status");  // "VmRSS:  123 kB", "RssAnon:  45 kB"
  for (std::string key; status >> key;) {
    double kib = 0;
    if (key == "VmRSS:" && status >> kib) m.rss_mb = kib / 1024;
    else if (key == "RssAnon:" && status >> kib) m.rss_anon_mb = kib / 1024;
    status.ignore(1 << 12, '\n');
  }
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) == 0) m.peak_rss_mb = double(u.ru_maxrss) / 1024;  // ru_maxrss is in KiB
  return m;
}

}  // namespace ganflow
