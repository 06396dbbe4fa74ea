#pragma once
// The process's resident memory, recorded with every epoch so growth across epochs shows.
// The anonymous part (heap, tensors) is what a leak grows; the rest of the resident set is
// file-backed, mostly library code paged in on first use.

namespace ganflow {

struct MemoryUsage {
  double rss_mb = 0;       // resident now (VmRSS in /proc/self/status)
  double rss_anon_mb = 0;  // of which anonymous memory (RssAnon in /proc/self/status)
  double peak_rss_mb = 0;  // the high-water mark (getrusage ru_maxrss)
};

MemoryUsage memory_usage();

}  // namespace ganflow
