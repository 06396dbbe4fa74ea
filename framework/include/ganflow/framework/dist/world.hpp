#pragma once
// Where this process stands in a multi-process launch: torchrun's environment (RANK,
// LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), which `ganflow run
// --nproc N` sets the same way.
#include <optional>
#include <string>

namespace ganflow {

struct World {
  int rank = 0, local_rank = 0;
  int size = 1, local_size = 1;  // processes in all, and on this machine
  std::string master_addr;
  int master_port = 0;
  bool main() const { return rank == 0; }
};

// nullopt when this process was not launched as one of a group (no WORLD_SIZE, or WORLD_SIZE
// 1 without MASTER_ADDR). Throws Error naming the variable that is missing or invalid.
std::optional<World> world_from_env();

// This machine's share of `cores` for one process: cores / LOCAL_WORLD_SIZE, at least 1.
int cores_per_process(int cores);

}  // namespace ganflow
