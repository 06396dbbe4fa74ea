#include "ganflow/framework/data/thread_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

#include <ATen/Parallel.h>

namespace ganflow {

ThreadPlan plan_threads(int requested, int cores, int intra) {
  cores = std::max(1, cores);
  ThreadPlan p{requested > 0 ? requested : std::max(1, cores - intra), std::max(1, intra)};
  if (p.loader + p.intra > cores) p.loader = std::max(1, cores - p.intra);
  // Automatic (0): when torch already uses every core, the loader keeps one thread beside it
  // rather than taking a core from the model: decoding small images is a sliver of a step
  // (bench/run measures both), while halving the intra-op threads halves the step.
  // An explicit request is a hard budget: torch gives up cores for it.
  if (requested > 0 && p.loader + p.intra > cores) p.intra = std::max(1, cores - p.loader);
  return p;
}

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPlan apply_thread_budget(int requested) {
  ThreadPlan p = plan_threads(requested, available_cores(), at::get_num_threads());
  if (p.intra != at::get_num_threads()) at::set_num_threads(p.intra);
  return p;
}

}  // namespace ganflow
