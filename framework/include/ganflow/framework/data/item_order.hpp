#pragma once
// Which items a rank reads in an epoch.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ganflow/item_seed.hpp"  // each item's augmentation seed

namespace ganflow {

struct OrderOptions {
  bool shuffle = true;
  bool drop_last = true;
  uint64_t seed = 0;
  int64_t rank = 0, world_size = 1;
  int64_t batch_size = 1;
};

// The item indices of `rank`'s epoch, batch after batch. Shuffling is seeded by (seed, epoch):
// the same seed gives the same order, each epoch a different one. Ranks take strided shares
// of one permutation, so across ranks every item is read once per epoch. With several ranks
// (or drop_last) the shares are even (n / world_size each, the rest left out this epoch), so
// all ranks run the same number of batches; drop_last also drops each rank's last partial batch.
// Rank r's i-th item is the permutation's (r + i * world_size)-th: N ranks at batch b see the
// same b * N items per step as one rank at batch b * N.
std::vector<std::size_t> epoch_order(std::size_t n, int64_t epoch, const OrderOptions& o);
// How many items rank `o.rank` reads per epoch: epoch_order(n, ..., o).size().
std::size_t rank_items(std::size_t n, const OrderOptions& o);

}  // namespace ganflow
