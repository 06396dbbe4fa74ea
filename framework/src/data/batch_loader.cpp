#include "ganflow/framework/data/batch_loader.hpp"

#include <oneapi/tbb/parallel_pipeline.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "ganflow/error.hpp"
#include "ganflow/exception_message.hpp"
#include "tsan_handoff.hpp"

namespace ganflow {

// A preallocated batch: one uint8 buffer per (source, field). Pipeline threads touch only
// the raw pointers, never torch, so no OpenMP team is started inside the loader.
struct BatchLoader::Slot {
  int id = 0;
  std::vector<std::vector<torch::Tensor>> buffers;  // [source][field]: uint8 [bs, C, H, W]
  std::vector<std::vector<uint8_t*>> base;
  std::vector<std::vector<std::size_t>> item_bytes;
  torch::Tensor labels;  // int64 [bs]
  int64_t* label_ptr = nullptr;
  std::vector<std::size_t> items;
  std::vector<char> bad;
  std::exception_ptr error;
  int64_t n = 0;
};

BatchLoader::BatchLoader(std::vector<LoaderColumn> columns, LoaderOptions options, std::string node)
    : columns_(std::move(columns)), opt_(options), node_(std::move(node)) {
  if (columns_.empty()) throw Error("data loader without columns", node_);
  if (opt_.batch_size < 1) throw Error("batch size must be >= 1", node_, "bs");
  if (opt_.threads < 1 || opt_.prefetch < 1) throw Error("loader threads and prefetch must be >= 1", node_);
  for (auto& c : columns_) {
    if (!c.source) throw Error("data loader column without a source", node_);
    std::size_t s = 0;
    while (s < sources_.size() && sources_[s] != c.source) ++s;
    if (s == sources_.size()) sources_.push_back(c.source);
    int nf = int(c.source->fields().size());
    if (c.field < 0 || c.field >= nf)
      throw Error("source '" + c.source->name() + "' has " + std::to_string(nf) + " field(s), no field " + std::to_string(c.field), node_);
    column_of_.push_back({s, c.field});
  }
  size_ = sources_.front()->size();
  for (auto& s : sources_)
    if (s->size() != size_)
      throw Error("sources '" + sources_.front()->name() + "' (" + std::to_string(size_) + " items) and '" + s->name() + "' (" +
                  std::to_string(s->size()) + " items) differ in length", node_);
  if (size_ == 0) throw Error("source '" + sources_.front()->name() + "' has no items", node_);
  for (auto& s : sources_)
    for (auto& f : s->fields())
      if (f.channels < 1 || f.height < 1 || f.width < 1) throw Error("source '" + s->name() + "' declares an empty image shape", node_);
}

BatchLoader::~BatchLoader() { stop(); }

int64_t BatchLoader::items_per_epoch() const {
  return int64_t(rank_items(size_, OrderOptions{opt_.shuffle, opt_.drop_last, opt_.seed, opt_.rank, opt_.world_size,
                                                opt_.batch_size}));
}

int64_t BatchLoader::batches_per_epoch() const {
  return (items_per_epoch() + opt_.batch_size - 1) / opt_.batch_size;
}

void BatchLoader::allocate_slots(bool pin, int count) {
  if (int(slots_.size()) == count && pinned_ == pin) return;
  slots_.clear();
  const int64_t bs = opt_.batch_size;
  for (int i = 0; i < count; ++i) {
    auto s = std::make_unique<Slot>();
    s->id = i;
    for (auto& src : sources_) {
      s->buffers.emplace_back(), s->base.emplace_back(), s->item_bytes.emplace_back();
      for (auto& f : src->fields()) {
        auto t = torch::empty({bs, f.channels, f.height, f.width}, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(pin));
        s->base.back().push_back(t.data_ptr<uint8_t>());
        s->item_bytes.back().push_back(f.bytes());
        s->buffers.back().push_back(std::move(t));
      }
    }
    s->labels = torch::full({bs}, -1, torch::kLong);
    s->label_ptr = s->labels.data_ptr<int64_t>();
    s->items.reserve(std::size_t(bs));
    s->bad.resize(std::size_t(bs));
    slots_.push_back(std::move(s));
  }
  pinned_ = pin;
}

void BatchLoader::release(int slot) {
  std::lock_guard<std::mutex> lock(free_mutex_);
  free_.push_back(slot);
}

void BatchLoader::set_threads(int threads) {
  if (threads < 1) throw Error("loader threads must be >= 1", node_, "threads");
  stop();
  opt_.threads = threads;
}

void BatchLoader::start_epoch(int64_t epoch, int64_t skip, bool pin) {
  stop();
  OrderOptions o{opt_.shuffle, opt_.drop_last, opt_.seed, opt_.rank, opt_.world_size, opt_.batch_size};
  std::vector<std::size_t> order = epoch_order(size_, epoch, o);
  const int64_t batches = batches_per_epoch();
  // Enough slots that the first stage always finds a free one: every live token holds one,
  // the queue holds `prefetch`, the consumer one.
  const int tokens = opt_.threads + 1;
  allocate_slots(pin, tokens + opt_.prefetch + 1);
  free_.clear();
  for (auto& s : slots_) free_.push_back(s->id);
  held_ = -1;
  ready_ = std::make_unique<tbb::concurrent_bounded_queue<Ready>>();
  ready_->set_capacity(opt_.prefetch);
  if (!arena_ || arena_->max_concurrency() != opt_.threads) arena_ = std::make_unique<tbb::task_arena>(opt_.threads);
  cancel_ = false, failed_ = false, done_ = false;
  skipped_ = 0;
  {
    std::lock_guard<std::mutex> lock(skip_mutex_);
    first_skipped_.clear();
  }
  running_ = true;
  thread_ = std::thread(&BatchLoader::run_pipeline, this, std::move(order), epoch, std::clamp<int64_t>(skip, 0, batches), batches);
}

namespace {
// Every pipeline's start, for TSan: released before a pipeline runs, acquired first thing in
// each stage call, before the stage reads its captures (so it cannot be one of them). Shared
// by all loaders: at worst one loader's set-up is taken as ordered before another's stages.
char pipeline_start = 0;

// One call of a pipeline stage as TBB orders it, stated for TSan (tsan_handoff.hpp): after the
// pipeline's start and, for a serial stage, after that stage's previous call; before the
// pipeline's finish and the serial stage's next call.
class StageCall {
 public:
  StageCall(const void* serial, const void* finish) : serial_(serial), finish_(finish) {
    if (serial_) tsan_acquire(serial_);
  }
  ~StageCall() {
    if (serial_) tsan_release(serial_);
    tsan_release(finish_);
  }
  StageCall(const StageCall&) = delete;
  StageCall& operator=(const StageCall&) = delete;

 private:
  const void *serial_, *finish_;
};
}  // namespace

void BatchLoader::run_pipeline(std::vector<std::size_t> order, int64_t epoch, int64_t first_batch, int64_t end_batch) {
  std::atomic<bool> stop_input{false};  // a decode failed: start no new batch
  int64_t batch = first_batch;
  const int64_t bs = opt_.batch_size;
  // TBB's own hand-offs for TSan: the pipeline's start and finish, each serial stage's calls,
  // and each slot (the token) passed from stage to stage.
  char input_stage = 0, output_stage = 0, finish = 0;
  try {
    auto filters =
        tbb::make_filter<void, Slot*>(tbb::filter_mode::serial_in_order,
                                      [&](tbb::flow_control& fc) -> Slot* {
                                        tsan_acquire(&pipeline_start);
                                        StageCall call(&input_stage, &finish);
                                        if (cancel_ || stop_input || batch >= end_batch) {
                                          fc.stop();
                                          return nullptr;
                                        }
                                        int id;
                                        {
                                          std::lock_guard<std::mutex> lock(free_mutex_);
                                          if (free_.empty()) throw std::logic_error("loader: no free batch slot");
                                          id = free_.back();
                                          free_.pop_back();
                                        }
                                        Slot& s = *slots_[id];
                                        const auto begin = std::size_t(batch * bs);
                                        const auto end = std::min(order.size(), begin + std::size_t(bs));
                                        s.items.assign(order.begin() + std::ptrdiff_t(begin), order.begin() + std::ptrdiff_t(end));
                                        s.n = int64_t(s.items.size());
                                        s.error = nullptr;
                                        ++batch;
                                        tsan_release(&s);
                                        return &s;
                                      }) &
        tbb::make_filter<Slot*, Slot*>(tbb::filter_mode::parallel,
                                       [&](Slot* s) {
                                         tsan_acquire(&pipeline_start);
                                         StageCall call(nullptr, &finish);
                                         tsan_acquire(s);
                                         if (!cancel_) decode(*s, epoch);
                                         if (s->error) stop_input = true;
                                         tsan_release(s);
                                         return s;
                                       }) &
        tbb::make_filter<Slot*, void>(tbb::filter_mode::serial_in_order, [&](Slot* s) {
          tsan_acquire(&pipeline_start);
          StageCall call(&output_stage, &finish);
          tsan_acquire(s);
          // In order: batches before a failed one are delivered, later ones dropped.
          if (cancel_ || failed_) return release(s->id);
          if (s->error) {
            failed_ = true;
            std::exception_ptr e = s->error;
            release(s->id);
            return ready_->push(Ready{-1, e});
          }
          compact(*s);
          if (s->n == 0) return release(s->id);
          ready_->push(Ready{s->id, nullptr});
        });
    tsan_release(&pipeline_start);
    arena_->execute([&] { tbb::parallel_pipeline(std::size_t(opt_.threads + 1), filters); });
    tsan_acquire(&finish);
    if (!cancel_ && !failed_) ready_->push(Ready{-1, nullptr});
  } catch (...) {
    tsan_acquire(&finish);
    if (!cancel_) ready_->push(Ready{-1, std::current_exception()});
  }
  done_ = true;
}

void BatchLoader::decode(Slot& s, int64_t epoch) {
  std::vector<uint8_t*> ptrs;
  for (int64_t k = 0; k < s.n; ++k) {
    const std::size_t idx = s.items[std::size_t(k)];
    const uint64_t seed = item_seed(opt_.seed, epoch, idx);
    std::size_t src = 0;
    try {
      for (; src < sources_.size(); ++src) {
        ptrs.clear();
        for (std::size_t f = 0; f < s.base[src].size(); ++f) ptrs.push_back(s.base[src][f] + std::size_t(k) * s.item_bytes[src][f]);
        sources_[src]->read(idx, ptrs.data(), seed);
      }
      src = 0;
      if (opt_.labels) {
        int64_t label = sources_[0]->label(idx);
        if (label < 0) throw Error("item " + std::to_string(idx) + " has no label");
        if (opt_.n_classes > 0 && label >= opt_.n_classes)
          throw Error("item " + std::to_string(idx) + " has label " + std::to_string(label) + ", outside [0, " +
                      std::to_string(opt_.n_classes) + ") of n_classes");
        s.label_ptr[k] = label;
      }
      s.bad[std::size_t(k)] = 0;
      continue;
    } catch (const Error& e) {
      const std::string& who = sources_[src]->name().empty() ? node_ : sources_[src]->name();
      s.error = std::make_exception_ptr(Error(e.message(), e.node().empty() ? who : e.node(), e.param()));
    } catch (const std::exception& e) {
      s.error = std::make_exception_ptr(Error("item " + std::to_string(idx) + ": " + exception_message(e), sources_[src]->name()));
    } catch (...) {
      s.error = std::make_exception_ptr(Error("item " + std::to_string(idx) + ": unknown exception", sources_[src]->name()));
    }
    if (!opt_.skip_bad) return;
    s.bad[std::size_t(k)] = 1;
    if (skipped_.fetch_add(1) == 0) {
      std::lock_guard<std::mutex> lock(skip_mutex_);
      try {
        std::rethrow_exception(s.error);
      } catch (const std::exception& e) {
        first_skipped_ = exception_message(e);
      }
    }
    s.error = nullptr;
  }
}

void BatchLoader::compact(Slot& s) {
  int64_t j = 0;
  for (int64_t k = 0; k < s.n; ++k) {
    if (s.bad[std::size_t(k)]) continue;
    if (j != k) {
      for (std::size_t src = 0; src < s.base.size(); ++src)
        for (std::size_t f = 0; f < s.base[src].size(); ++f) {
          const std::size_t b = s.item_bytes[src][f];
          std::memcpy(s.base[src][f] + std::size_t(j) * b, s.base[src][f] + std::size_t(k) * b, b);
        }
      s.label_ptr[j] = s.label_ptr[k];
    }
    ++j;
  }
  s.n = j;
}

bool BatchLoader::next(HostBatch& out) {
  if (held_ >= 0) release(std::exchange(held_, -1));
  if (!running_) return false;
  Ready r;
  ready_->pop(r);
  if (r.slot < 0) {
    thread_.join();
    running_ = false;
    if (!r.error) return false;
    try {
      std::rethrow_exception(r.error);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error("data loader: " + exception_message(e), node_);
    }
  }
  held_ = r.slot;
  Slot& s = *slots_[r.slot];
  out.size = s.n;
  out.images.clear();
  for (auto [src, field] : column_of_) out.images.push_back(s.buffers[src][std::size_t(field)].narrow(0, 0, s.n));
  out.labels = opt_.labels ? s.labels.narrow(0, 0, s.n) : torch::Tensor();
  return true;
}

void BatchLoader::stop() {
  if (held_ >= 0) release(std::exchange(held_, -1));
  if (thread_.joinable()) {
    cancel_ = true;
    // Draining keeps the hand-off stage from blocking on a full queue; the first stage sees
    // cancel_ and ends the pipeline after the in-flight tokens.
    Ready r;
    while (!done_) {
      while (ready_->try_pop(r))
        if (r.slot >= 0) release(r.slot);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    thread_.join();
    while (ready_->try_pop(r))
      if (r.slot >= 0) release(r.slot);
  }
  running_ = false;
}

std::string BatchLoader::first_skipped() const {
  std::lock_guard<std::mutex> lock(skip_mutex_);
  return first_skipped_;
}

torch::Tensor BatchLoader::read_column(std::size_t column, const std::vector<std::size_t>& indices) const {
  auto [src, field] = column_of_.at(column);
  auto shapes = sources_[src]->fields();
  std::vector<std::vector<uint8_t>> parts;
  std::vector<uint8_t*> ptrs;
  for (auto& f : shapes) parts.emplace_back(f.bytes());
  for (auto& p : parts) ptrs.push_back(p.data());
  const ImageShape& f = shapes[std::size_t(field)];
  torch::Tensor out = torch::empty({int64_t(indices.size()), f.channels, f.height, f.width}, torch::kUInt8);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    try {
      sources_[src]->read(indices[k], ptrs.data(), item_seed(opt_.seed, 0, indices[k]));
    } catch (const Error& e) {
      throw Error(e.message(), sources_[src]->name().empty() ? node_ : sources_[src]->name());
    }
    std::memcpy(out.data_ptr<uint8_t>() + k * f.bytes(), parts[std::size_t(field)].data(), f.bytes());
  }
  return out;
}

}  // namespace ganflow
