#pragma once
// This process's rank in a data-parallel run (torchrun's RANK, which `ganflow run --nproc`
// sets too); 0 in a single-process run. Every rank trains; work that one process does for all
// (evaluation, files in the run folder) is done where it is 0.
#include <cstdlib>

namespace ganflow {

inline int process_rank() {
  const char* r = std::getenv("RANK");
  return r ? std::atoi(r) : 0;
}

}  // namespace ganflow
