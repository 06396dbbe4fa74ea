#pragma once
// The one rule for an item's random seed. The batch loader reads item `index` of epoch
// `epoch` with item_seed(seed, epoch, index); a plugin that reads a source itself (writing
// pairs out, evaluating, saving predictions) uses the same rule, so a random augmentation
// (crappify's JPEG quality, a flip) is a function of (seed, epoch, index) alone: independent
// of rank, batch, thread and caller. Reads outside training use epoch 0.
#include <cstddef>
#include <cstdint>

namespace ganflow {

// SplitMix64's finaliser: consecutive inputs give uncorrelated outputs.
inline uint64_t mix_seed(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t item_seed(uint64_t seed, int64_t epoch, std::size_t index) {
  return mix_seed(mix_seed(seed ^ mix_seed(uint64_t(epoch))) ^ uint64_t(index));
}

}  // namespace ganflow
