#pragma once
// The common part of the built-in data nodes: a DataSource fed by a BatchLoader. It sizes the
// loader's threads at each epoch start, pins slots for CUDA and keeps a slot untouched until
// its non_blocking copy has finished.
#include <memory>
#include <string>

#include "ganflow/data.hpp"
#include "ganflow/fields.hpp"
#include "ganflow/framework/data/batch_loader.hpp"
#include "ganflow/framework/data/device_batch.hpp"

namespace ganflow {

class LoaderDataSource : public DataSource {
 public:
  // `threads`: the param (0: auto), resolved against torch's intra-op threads per epoch.
  LoaderDataSource(std::vector<LoaderColumn> columns, LoaderOptions options, int threads, std::string node);

  int64_t batch_size() const override { return loader_.options().batch_size; }
  int64_t batches_per_epoch() const override { return loader_.batches_per_epoch(); }
  void start_epoch(int64_t epoch, int64_t skip, const torch::Device& device) override;
  bool next(Batch& out) override;
  void stop() override;
  int64_t skipped_items() const override { return loader_.skipped_items(); }
  std::string first_skipped() const { return loader_.first_skipped(); }
  int loader_threads() const { return loader_.options().threads; }

 protected:
  // Turns a host batch into the device batch (x, y).
  virtual void to_batch(const HostBatch& host, const torch::Device& device, Batch& out) = 0;
  const BatchLoader& loader() const { return loader_; }
  BatchBuffers buffers_;  // to_batch's float images

 private:
  BatchLoader loader_;
  int threads_param_;
  torch::Device device_{torch::kCPU};
  CopyFence fence_;
};

struct LoaderSettings {  // read from the params loader_fields declares (their defaults are there)
  int64_t bs{};
  bool shuffle{}, drop_last{};
  int threads{}, prefetch{};  // threads: the param (0: auto)
  bool skip_bad{};            // on_bad_item = skip
};

// Declares bs, shuffle, drop_last, threads, prefetch, on_bad_item: shared by gan_item_list and item_list.
Fields<LoaderSettings> loader_fields(NodeSpec& s);
// Rank and world size come from torchrun's environment (world_from_env; 0 / 1 without it).
LoaderOptions loader_options(const LoaderSettings& s, uint64_t seed);

}  // namespace ganflow
