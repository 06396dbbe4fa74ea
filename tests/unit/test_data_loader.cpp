// The TBB loader: determinism, sharding, resume, bad items, and clean shutdown (also run
// under ThreadSanitizer: scripts/test-tsan).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "ganflow/framework/data/batch_loader.hpp"
#include "ganflow/framework/data/thread_budget.hpp"

using namespace ganflow;
using namespace std::chrono_literals;

namespace {
// A real in-memory source: item i is a 1x2x2 image holding i (little endian), so batches show
// which items they carry. Listed indices fail like a corrupt file; `delay` slows each read.
class IndexSource : public ItemSource {
 public:
  IndexSource(std::size_t n, std::set<std::size_t> bad = {}, std::chrono::microseconds delay = 0us)
      : n_(n), bad_(std::move(bad)), delay_(delay) {
    set_name("src");
  }
  std::size_t size() const override { return n_; }
  std::vector<ImageShape> fields() const override { return {ImageShape{1, 2, 2}}; }
  void read(std::size_t i, uint8_t* const* slots, uint64_t) const override {
    if (delay_.count()) std::this_thread::sleep_for(delay_);
    if (bad_.count(i)) throw Error("item_" + std::to_string(i) + ".png: truncated or corrupt PNG");
    uint32_t v = uint32_t(i);
    std::memcpy(slots[0], &v, 4);
  }
  int64_t label(std::size_t i) const override { return int64_t(i % 10); }

 private:
  std::size_t n_;
  std::set<std::size_t> bad_;
  std::chrono::microseconds delay_;
};

LoaderOptions options(int64_t bs, uint64_t seed = 1) {
  LoaderOptions o;
  o.batch_size = bs;
  o.seed = seed;
  o.threads = 2;
  o.prefetch = 2;
  return o;
}

std::vector<std::vector<std::size_t>> run_epoch(BatchLoader& l, int64_t epoch, int64_t skip = 0) {
  l.start_epoch(epoch, skip, false);
  std::vector<std::vector<std::size_t>> batches;
  HostBatch b;
  while (l.next(b)) {
    REQUIRE(b.images.size() == 1);
    auto t = b.images[0].contiguous();
    std::vector<std::size_t> ids;
    for (int64_t k = 0; k < b.size; ++k) {
      uint32_t v;
      std::memcpy(&v, t.data_ptr<uint8_t>() + k * 4, 4);
      ids.push_back(v);
      if (b.labels.defined()) CHECK(b.labels[k].item<int64_t>() == int64_t(v % 10));
    }
    batches.push_back(ids);
  }
  return batches;
}

std::vector<std::size_t> flat(const std::vector<std::vector<std::size_t>>& batches) {
  std::vector<std::size_t> out;
  for (auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Runs f on another thread; a hang aborts the test binary with a message instead of hanging CI.
template <class F> void within(std::chrono::seconds limit, const char* what, F f) {
  auto task = std::make_shared<std::packaged_task<void()>>(std::move(f));
  auto done = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: '%s' did not finish within %lld s (loader hang)\n", what, (long long)limit.count());
    std::abort();
  }
  done.get();
}

std::shared_ptr<ItemSource> indices(std::size_t n, std::set<std::size_t> bad = {}, std::chrono::microseconds d = 0us) {
  return std::make_shared<IndexSource>(n, std::move(bad), d);
}
}  // namespace

TEST_CASE("loader: same seed, same order, epochs and seeds differ", "[data][tsan]") {
  BatchLoader a({{indices(100)}}, options(8, 1), "data"), b({{indices(100)}}, options(8, 1), "data"),
      c({{indices(100)}}, options(8, 2), "data");
  auto a0 = run_epoch(a, 0), b0 = run_epoch(b, 0), a1 = run_epoch(a, 1), c0 = run_epoch(c, 0);
  CHECK(a0 == b0);
  CHECK(flat(a0) != flat(a1));
  CHECK(flat(a0) != flat(c0));
  CHECK(a0.size() == 12);  // drop_last: 100 / 8
  CHECK(a.batches_per_epoch() == 12);
  for (auto& batch : a0) CHECK(batch.size() == 8);
  auto sorted = flat(a0);
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // no repeats

  LoaderOptions plain = options(10);
  plain.shuffle = false;
  BatchLoader p({{indices(25)}}, plain, "data");
  auto p0 = flat(run_epoch(p, 3));
  REQUIRE(p0.size() == 20);
  for (std::size_t i = 0; i < p0.size(); ++i) CHECK(p0[i] == i);
}

TEST_CASE("loader: across 3 ranks each item is read at most once per epoch, in equal batch counts", "[data][tsan]") {
  for (bool drop_last : {false, true}) {
    INFO("drop_last " << drop_last);
    std::map<std::size_t, int> seen;
    std::vector<int64_t> batch_counts;
    for (int64_t rank = 0; rank < 3; ++rank) {
      LoaderOptions o = options(7, 9);
      o.rank = rank, o.world_size = 3, o.drop_last = drop_last;
      BatchLoader l({{indices(100)}}, o, "data");
      auto batches = run_epoch(l, 4);
      CHECK(int64_t(batches.size()) == l.batches_per_epoch());
      batch_counts.push_back(int64_t(batches.size()));
      for (auto i : flat(batches)) ++seen[i];
    }
    for (auto& [i, count] : seen) CHECK(count == 1);
    if (drop_last) {
      CHECK(seen.size() == 3 * 28);  // shares of 99 / 3 = 33, cut to 4 full batches of 7
      CHECK(batch_counts == std::vector<int64_t>{4, 4, 4});
    } else {
      // Even shares, so no rank waits at a collective the others never reach: 33 each (one of
      // the 100 left out this epoch), the last batch partial: 4 of 7 and one of 5.
      CHECK(seen.size() == 99);
      CHECK(batch_counts == std::vector<int64_t>{5, 5, 5});
    }
  }
}

TEST_CASE("loader: skipping K batches resumes the same epoch where it left off", "[data][tsan]") {
  BatchLoader l({{indices(60)}}, options(6), "data");
  auto full = run_epoch(l, 2), resumed = run_epoch(l, 2, 4);
  REQUIRE(full.size() == 10);
  CHECK(resumed == std::vector<std::vector<std::size_t>>(full.begin() + 4, full.end()));
  CHECK(run_epoch(l, 2, 99).empty());
}

TEST_CASE("loader: labels come with the batch", "[data][tsan]") {
  LoaderOptions o = options(5);
  o.labels = true;
  BatchLoader l({{indices(20)}}, o, "data");
  CHECK(flat(run_epoch(l, 0)).size() == 20);  // run_epoch checks label == id % 10
}

TEST_CASE("loader: on_bad_item skip leaves bad items out, counts them, never a blank slot", "[data][tsan]") {
  LoaderOptions o = options(10);
  o.skip_bad = true;
  o.drop_last = false;
  BatchLoader l({{indices(50, {0, 3, 17, 49})}}, o, "data");
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    auto batches = run_epoch(l, epoch);
    auto ids = flat(batches);
    CHECK(ids.size() == 46);
    for (auto bad : {0, 3, 17, 49}) CHECK(std::count(ids.begin(), ids.end(), std::size_t(bad)) == 0);
    CHECK(l.skipped_items() == 4);  // per epoch
    CHECK_THAT(l.first_skipped(), Catch::Contains("node 'src'") && Catch::Contains(".png"));
  }
}

TEST_CASE("loader: a decode error reaches the consumer naming the file, after the good batches", "[data][tsan]") {
  within(60s, "decode error", [] {
    LoaderOptions o = options(4);
    o.shuffle = false;
    BatchLoader l({{indices(40, {13})}}, o, "data");
    for (int round = 0; round < 2; ++round) {  // the loader is usable again after an error
      l.start_epoch(0, 0, false);
      HostBatch b;
      int good = 0;
      std::string message;
      try {
        while (l.next(b)) ++good;
      } catch (const Error& e) {
        message = e.what();
      }
      CHECK(good == 3);  // items 0..11; the batch holding 13 fails
      CHECK_THAT(message, Catch::Contains("node 'src'") && Catch::Contains("item_13.png") && Catch::Contains("corrupt"));
      CHECK_FALSE(l.next(b));
    }
  });
}

TEST_CASE("loader: stop() mid-epoch and destruction mid-epoch shut down cleanly", "[data][tsan]") {
  within(60s, "stop mid-epoch", [] {
    auto slow = indices(2000, {}, 300us);
    BatchLoader l({{slow}}, options(16), "data");
    l.start_epoch(0, 0, false);
    HostBatch b;
    REQUIRE(l.next(b));
    l.stop();
    CHECK_FALSE(l.next(b));
    // A new epoch after a stop starts from its beginning.
    l.start_epoch(1, 0, false);
    REQUIRE(l.next(b));
    CHECK(b.size == 16);
    l.stop();
  });
  within(60s, "destroy mid-epoch", [] {
    for (int i = 0; i < 5; ++i) {
      BatchLoader l({{indices(2000, {}, 100us)}}, options(16), "data");
      l.start_epoch(i, 0, false);
      if (i % 2) {
        HostBatch b;
        l.next(b);
      }
    }  // destroyed with the pipeline running and the queue full
  });
  within(60s, "stop after a failed decode without reading the error", [] {
    BatchLoader l({{indices(400, {5})}}, options(4), "data");
    l.start_epoch(0, 0, false);
    std::this_thread::sleep_for(20ms);
    l.stop();
  });
}

TEST_CASE("loader: sources of different length are refused", "[data]") {
  CHECK_THROWS_WITH(BatchLoader({{indices(10)}, {indices(11)}}, options(2), "data"), Catch::Contains("differ in length"));
}

TEST_CASE("thread budget: an explicit loader request fits beside torch within the cores", "[data]") {
  auto p = plan_threads(0, 2, 1);
  CHECK(p.loader == 1);
  CHECK(p.intra == 1);
  p = plan_threads(0, 16, 4);
  CHECK(p.loader == 12);
  CHECK(p.intra == 4);
  p = plan_threads(8, 4, 2);  // request cut to the cores; torch keeps its calling thread
  CHECK(p.loader == 4);
  CHECK(p.intra == 1);
  p = plan_threads(3, 4, 2);  // request honoured; torch keeps the one core left
  CHECK(p.loader == 3);
  CHECK(p.intra == 1);
  p = plan_threads(2, 2, 1);  // a loader-only job may take every core
  CHECK(p.loader == 2);
  CHECK(p.intra == 1);
  p = plan_threads(0, 2, 2);  // automatic: torch keeps every core, one loader thread beside it
  CHECK(p.loader == 1);
  CHECK(p.intra == 2);
  p = plan_threads(1, 2, 2);  // an explicit request is a hard budget: torch gives a core up
  CHECK(p.loader == 1);
  CHECK(p.intra == 1);
  CHECK(available_cores() >= 1);
}
