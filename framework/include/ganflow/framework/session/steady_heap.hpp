#pragma once
// A fixed malloc policy for the training process. glibc starts by serving every block over
// 128 KiB with mmap and unmapping it on free, then raises that threshold as it sees large
// frees: through the first epoch the activations' blocks are mapped, faulted in and unmapped
// again and again until the threshold settles (10x the page faults; epoch 1's anonymous RSS
// 111 MiB against 159 after epoch 2; bench/BENCHMARKS.md). Fixing it up front keeps blocks up to `mmap_threshold` in the heap
// from the first step (RSS flat from the first second, and lower) and returns heap top only
// beyond `trim_threshold`. Blocks above `mmap_threshold` (a dataset) are still mapped and
// returned when freed.
// A no-op off glibc, and when GLIBC_TUNABLES already sets a malloc threshold (the user's choice).
#include <cstddef>

namespace ganflow {

// Returns whether the policy was applied.
bool steady_heap(std::size_t mmap_threshold = std::size_t(32) << 20, std::size_t trim_threshold = std::size_t(64) << 20);

}  // namespace ganflow
