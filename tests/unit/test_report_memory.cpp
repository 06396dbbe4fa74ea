// memory_usage(): the resident-memory numbers every epoch row carries (bench/run reads them).
#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "ganflow/framework/report/memory_usage.hpp"

TEST_CASE("memory_usage follows a touched allocation and keeps the peak", "[report]") {
  const std::size_t bytes = std::size_t(256) << 20;
  ganflow::MemoryUsage before = ganflow::memory_usage();
  REQUIRE(before.rss_mb > 0);
  REQUIRE(before.rss_anon_mb > 0);
  CHECK(before.rss_anon_mb <= before.rss_mb + 1);
  {
    // Mapped here, not malloc'ed: steady_heap (another test) keeps freed heap resident, and
    // malloc would hand back pages that are resident already.
    void* block = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(block != MAP_FAILED);
    std::memset(block, 1, bytes);  // resident only once touched
    ganflow::MemoryUsage during = ganflow::memory_usage();
    CHECK(during.rss_mb - before.rss_mb > 200);
    CHECK(during.rss_anon_mb - before.rss_anon_mb > 200);  // heap memory is anonymous
    CHECK(during.peak_rss_mb >= during.rss_mb - 1);
    ::munmap(block, bytes);
    ganflow::MemoryUsage after = ganflow::memory_usage();
    CHECK(after.peak_rss_mb >= during.rss_mb - 1);  // the high-water mark stays
  }
}
