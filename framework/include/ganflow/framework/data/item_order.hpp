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
// of one permutation, so across ranks every item is read once per epoch. drop_last first
// evens the shares (n / world_size each), then drops each rank's last partial batch, so all
// ranks run the same number of batches.
std::vector<std::size_t> epoch_order(std::size_t n, int64_t epoch, const OrderOptions& o);

}  // namespace ganflow
