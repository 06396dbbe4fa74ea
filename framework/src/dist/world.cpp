#include "ganflow/framework/dist/world.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "ganflow/error.hpp"

namespace ganflow {

namespace {
std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

int env_int(const char* name, int lo, int hi, std::optional<int> fallback) {
  auto v = env(name);
  if (!v) {
    if (fallback) return *fallback;
    throw Error(std::string(name) + " is not set (torchrun and ganflow run --nproc set it)");
  }
  char* end = nullptr;
  long n = std::strtol(v->c_str(), &end, 10);
  if (*end != '\0' || n < lo || n > hi)
    throw Error(std::string(name) + "=" + *v + ": expected an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  return int(n);
}
}  // namespace

std::optional<World> world_from_env() {
  if (!env("WORLD_SIZE")) return std::nullopt;
  World w;
  w.size = env_int("WORLD_SIZE", 1, 1 << 20, std::nullopt);
  if (w.size == 1 && !env("MASTER_ADDR")) return std::nullopt;  // one process, no rendezvous asked for
  w.rank = env_int("RANK", 0, w.size - 1, std::nullopt);
  w.local_size = env_int("LOCAL_WORLD_SIZE", 1, w.size, w.size);
  w.local_rank = env_int("LOCAL_RANK", 0, w.local_size - 1, w.rank % w.local_size);
  auto addr = env("MASTER_ADDR");
  if (!addr) throw Error("WORLD_SIZE=" + std::to_string(w.size) + " needs MASTER_ADDR and MASTER_PORT (torchrun sets them)");
  w.master_addr = *addr;
  w.master_port = env_int("MASTER_PORT", 1, 65535, std::nullopt);
  return w;
}

int cores_per_process(int cores) {
  const char* v = std::getenv("LOCAL_WORLD_SIZE");
  int share = v ? std::atoi(v) : 1;
  return std::max(1, cores / std::max(1, share));
}

}  // namespace ganflow
