#pragma once
// The process's resident memory, recorded with every epoch so growth across epochs shows.

namespace ganflow {

struct MemoryUsage {
  double rss_mb = 0;       // resident now (/proc/self/statm)
  double peak_rss_mb = 0;  // the high-water mark (getrusage ru_maxrss)
};

MemoryUsage memory_usage();

}  // namespace ganflow
