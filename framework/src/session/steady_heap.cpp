#include "ganflow/framework/session/steady_heap.hpp"

#include <cstdlib>
#include <cstring>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace ganflow {

bool steady_heap(std::size_t trim_threshold) {
#ifdef __GLIBC__
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && (std::strstr(tunables, "malloc.mmap_") || std::strstr(tunables, "malloc.trim_threshold")))
    return false;
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, int(trim_threshold)) == 1;
#else
  (void)trim_threshold;
  return false;
#endif
}

}  // namespace ganflow
