#pragma once
// Loader threads beside torch's intra-op threads, within the cores (oversubscribed OpenMP
// convolutions slow down 10-15x on the build machine).
namespace ganflow {

struct ThreadPlan {
  int loader = 1;  // TBB arena size of the loader
  int intra = 1;   // torch intra-op threads
};

// requested 0: every core torch does not use, at least 1 (beside torch when torch takes every
// core). requested N: min(N, cores) loader threads; torch keeps the cores left, at least 1.
ThreadPlan plan_threads(int requested, int cores, int intra);

// The cores this process may run on (its CPU affinity), divided among the ranks a multi-process
// launch starts on this machine (LOCAL_WORLD_SIZE).
int available_cores();

// plan_threads with the current torch setting; lowers torch's intra-op threads when needed.
ThreadPlan apply_thread_budget(int requested);

}  // namespace ganflow
