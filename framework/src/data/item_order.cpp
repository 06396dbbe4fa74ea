#include "ganflow/framework/data/item_order.hpp"

#include <numeric>
#include <utility>

#include "ganflow/error.hpp"

namespace ganflow {

std::size_t rank_items(std::size_t n, const OrderOptions& o) {
  const std::size_t world = std::size_t(o.world_size), rank = std::size_t(o.rank), bs = std::size_t(o.batch_size);
  const std::size_t used = (o.drop_last || world > 1) ? n / world * world : n;
  std::size_t mine = used > rank ? (used - rank + world - 1) / world : 0;
  if (o.drop_last) mine = mine / bs * bs;
  return mine;
}

std::vector<std::size_t> epoch_order(std::size_t n, int64_t epoch, const OrderOptions& o) {
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size)
    throw Error("rank " + std::to_string(o.rank) + " is outside world size " + std::to_string(o.world_size));
  if (o.batch_size < 1) throw Error("batch size must be >= 1");
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), std::size_t(0));
  if (o.shuffle) {
    // Fisher-Yates on our own stream: std::shuffle's output differs between libraries.
    uint64_t state = mix_seed(o.seed ^ 0x53687566666c65ULL) ^ mix_seed(uint64_t(epoch) + 1);
    for (std::size_t i = n; i > 1; --i) {
      state = mix_seed(state);
      std::swap(perm[i - 1], perm[state % i]);
    }
  }
  std::vector<std::size_t> mine(rank_items(n, o));
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i] = perm[std::size_t(o.rank) + i * std::size_t(o.world_size)];
  return mine;
}

}  // namespace ganflow
