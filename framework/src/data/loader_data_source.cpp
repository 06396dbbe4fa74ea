#include "ganflow/framework/data/loader_data_source.hpp"

#include "ganflow/framework/dist/world.hpp"

#include <ATen/Parallel.h>

#include <cstdlib>

#include "ganflow/framework/data/thread_budget.hpp"

namespace ganflow {

namespace {
// The loader's own slot count comes from the plan made at each epoch start.
LoaderOptions with_threads(LoaderOptions o, int threads) {
  o.threads = plan_threads(threads, available_cores(), at::get_num_threads()).loader;
  return o;
}
}  // namespace

LoaderDataSource::LoaderDataSource(std::vector<LoaderColumn> columns, LoaderOptions options, int threads, std::string node)
    : loader_(std::move(columns), with_threads(options, threads), std::move(node)), threads_param_(threads) {}

void LoaderDataSource::start_epoch(int64_t epoch, int64_t skip, const torch::Device& device) {
  ThreadPlan plan = apply_thread_budget(threads_param_);
  if (plan.loader != loader_.options().threads) loader_.set_threads(plan.loader);
  device_ = device;
  fence_.wait();
  loader_.start_epoch(epoch, skip, device.is_cuda());
}

bool LoaderDataSource::next(Batch& out) {
  fence_.wait();  // the previous batch's slot is refilled from here on
  HostBatch host;
  if (!loader_.next(host)) return false;
  to_batch(host, device_, out);
  fence_.record(device_);
  return true;
}

void LoaderDataSource::stop() {
  fence_.wait();
  loader_.stop();
}

Fields<LoaderSettings> loader_fields(NodeSpec& s) {
  using S = LoaderSettings;
  Fields<S> f(s);
  f.add("bs", &S::bs, 64, "Batch size.").range(1, 65536);
  f.add("shuffle", &S::shuffle, true, "Shuffle each epoch (seeded: same seed, same order; each epoch differs).");
  f.add("drop_last", &S::drop_last, true, "Drop the last partial batch (ranks first get equal shares).");
  f.add("threads", &S::threads, 0,
        "Loader threads; 0: the cores torch's intra-op threads leave free (at least 1). N: a hard budget "
        "of up to every core; torch keeps the cores left over (at least its calling thread).")
      .at_least(0);
  f.add("prefetch", &S::prefetch, 2, "Finished batches waiting for the trainer (the queue capacity).").range(1, 64);
  f.add_enum("on_bad_item", &S::skip_bad, {{"error", false}, {"skip", true}}, "error",
             "error: a missing or corrupt file stops with its name; skip: leave it out (the batch shrinks) and count it.");
  return f;
}

LoaderOptions loader_options(const LoaderSettings& s, uint64_t seed) {
  LoaderOptions o;
  o.batch_size = s.bs;
  o.shuffle = s.shuffle;
  o.drop_last = s.drop_last;
  o.prefetch = s.prefetch;
  o.skip_bad = s.skip_bad;
  o.seed = seed;
  if (std::optional<World> w = world_from_env()) o.rank = w->rank, o.world_size = w->size;  // checked there
  return o;
}

}  // namespace ganflow
