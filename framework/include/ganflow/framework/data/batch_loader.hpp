#pragma once
// The loader: a TBB parallel_pipeline on its own thread,
//   serial in-order (next batch, free slot) -> parallel decode into the slot -> serial in-order hand-off,
// feeding a bounded queue the consumer pops. Slots are preallocated uint8 batches (pinned for
// CUDA); the pipeline's token count and the queue capacity bound how many exist.
//
// Bad items: with skip_bad the batch shrinks (bad items are removed, good ones keep their
// order) and the count is kept; a batch with no good item is dropped. Otherwise the first
// bad item ends the epoch: the batches before it are delivered, then next() throws its Error.
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <oneapi/tbb/concurrent_queue.h>  // concurrent_bounded_queue
#include <oneapi/tbb/task_arena.h>
#include <torch/types.h>

#include "ganflow/framework/data/item_order.hpp"
#include "ganflow/item_source.hpp"

namespace ganflow {

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true, drop_last = true;
  uint64_t seed = 0;
  int64_t rank = 0, world_size = 1;
  int threads = 1;       // loader arena size (see thread_budget.hpp)
  int prefetch = 2;      // finished batches waiting in the queue
  bool skip_bad = false;
  bool labels = false;   // gather label(i) of the first column's source
  int64_t n_classes = 0;  // > 0: each gathered label must lie in [0, n_classes)
};

// One output image column: field `field` of `source`.
struct LoaderColumn {
  std::shared_ptr<ItemSource> source;
  int field = 0;
};

struct HostBatch {
  std::vector<torch::Tensor> images;  // per column, uint8 [n, C, H, W]; valid until the next next()/stop()
  torch::Tensor labels;               // int64 [n] when LoaderOptions::labels
  int64_t size = 0;
};

class BatchLoader {
 public:
  // `node` names the data node in errors. Columns sharing a source read it once per item.
  BatchLoader(std::vector<LoaderColumn> columns, LoaderOptions options, std::string node);
  ~BatchLoader();  // stops a running epoch
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  std::size_t dataset_size() const { return size_; }
  int64_t items_per_epoch() const;  // this rank's
  int64_t batches_per_epoch() const;
  const LoaderOptions& options() const { return opt_; }

  // Resizes the loader's arena (stops a running epoch).
  void set_threads(int threads);
  // Starts `epoch` at batch `skip` (resume). `pin`: page-locked slots for CUDA copies.
  void start_epoch(int64_t epoch, int64_t skip, bool pin);
  // Blocks for the next batch; false at the end of the epoch. Rethrows a decode error as
  // ganflow::Error naming the node and the file. The batch's memory is reused after the next call.
  bool next(HostBatch& out);
  // Ends the epoch early: waits for in-flight decodes, joins the pipeline thread.
  void stop();

  int64_t skipped_items() const { return skipped_.load(); }  // this epoch
  std::string first_skipped() const;                         // message of the first skipped item

  // Decodes the given items of one column serially (for previews such as show()).
  torch::Tensor read_column(std::size_t column, const std::vector<std::size_t>& indices) const;

 private:
  struct Slot;
  struct Ready {  // what the hand-off stage passes to the consumer
    int slot = -1;  // -1: end of epoch or error
    std::exception_ptr error;
  };
  void allocate_slots(bool pin, int count);
  void run_pipeline(std::vector<std::size_t> order, int64_t epoch, int64_t first_batch, int64_t end_batch);
  void decode(Slot& s, int64_t epoch);
  void compact(Slot& s);
  void release(int slot);

  std::vector<LoaderColumn> columns_;
  std::vector<std::shared_ptr<ItemSource>> sources_;     // distinct
  std::vector<std::pair<std::size_t, int>> column_of_;   // column -> (source, field)
  LoaderOptions opt_;
  std::string node_;
  std::size_t size_ = 0;

  std::vector<std::unique_ptr<Slot>> slots_;
  bool pinned_ = false;
  std::mutex free_mutex_;
  std::vector<int> free_;
  std::unique_ptr<tbb::concurrent_bounded_queue<Ready>> ready_;
  std::unique_ptr<tbb::task_arena> arena_;
  std::thread thread_;
  std::atomic<bool> cancel_{false}, failed_{false}, done_{true};
  bool running_ = false;
  int held_ = -1;  // the slot the consumer has
  std::atomic<int64_t> skipped_{0};
  mutable std::mutex skip_mutex_;
  std::string first_skipped_;
};

}  // namespace ganflow
