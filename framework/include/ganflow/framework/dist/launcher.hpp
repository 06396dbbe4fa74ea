#pragma once
// `ganflow run --nproc N`: a data-parallel run on this machine without torchrun.
#include <string>
#include <vector>

namespace ganflow {

// Starts `nproc` copies of this program with `args` (args[0] is the program name) and
// torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR
// 127.0.0.1, MASTER_PORT: the environment's, or a free port). Each line a rank prints is
// passed on with "[rank N] " before it; SIGINT and SIGTERM are forwarded to every rank. Returns
// the exit code of the first rank that failed (128 + signal when it was killed), else 0; when
// one rank has failed, the others are killed if they have not stopped `grace_s` seconds later.
int launch_ranks(int nproc, const std::vector<std::string>& args, int grace_s = 120);

}  // namespace ganflow
