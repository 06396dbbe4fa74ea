#include "ganflow/framework/data/thread_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

#include <ATen/Parallel.h>

#include "ganflow/framework/dist/world.hpp"

namespace ganflow {

ThreadPlan plan_threads(int requested, int cores, int intra) {
  cores = std::max(1, cores);
  intra = std::max(1, intra);
  // Automatic (0): the cores torch leaves free, and when torch already uses every core, one
  // loader thread beside it rather than a core taken from the model: decoding small images
  // is a sliver of a step (bench/run measures both), while halving the intra-op threads
  // halves the step.
  if (requested <= 0) return {std::max(1, cores - intra), intra};
  // An explicit request is a hard budget of up to every core: torch keeps what is left, at
  // least the calling thread (so loader + torch exceed the cores by one only when the
  // request takes them all, e.g. a loader-only job).
  const int loader = std::min(requested, cores);
  return {loader, std::max(1, std::min(intra, cores - loader))};
}

int available_cores() {
  cpu_set_t set;
  const int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                                 : int(std::thread::hardware_concurrency());
  return cores_per_process(std::max(1, cores));
}

ThreadPlan apply_thread_budget(int requested) {
  ThreadPlan p = plan_threads(requested, available_cores(), at::get_num_threads());
  if (p.intra != at::get_num_threads()) at::set_num_threads(p.intra);
  return p;
}

}  // namespace ganflow
