#pragma once
// A fixed malloc policy for the training process. glibc starts by serving every block over
// 128 KiB with mmap and unmapping it on free, then raises that threshold as it sees large
// frees: through the first epoch the activations' blocks are mapped, faulted in and unmapped
// again and again until the threshold settles (10x the page faults; epoch 1's anonymous RSS
// 111 MiB against 159 after epoch 2; bench/BENCHMARKS.md). The policy keeps every block in the
// heap, none mapped on its own (M_MMAP_MAX 0: glibc caps the mmap threshold at 32 MiB, and a
// 64x64 DCGAN's activations at batch 256 are 64 MiB blocks, mapped and faulted in again each
// step: 7.7x the page faults, 1.12-1.17x slower), and returns heap top only beyond
// `trim_threshold`. A step frees its activations at once: a 64x64 DCGAN's (batch 64) are well
// over 64 MiB, and with that trim threshold they went back to the system and were faulted in
// again every step (1.75-1.96x slower). 512 MiB keeps them, for 11-14% more peak RSS there and
// none at 32x32 (bench/BENCHMARKS.md, "The heap's trim threshold at 64x64" and "Blocks over
// 32 MiB"). A request the heap cannot grow to still gets its own mapping (glibc's fallback).
// A no-op off glibc, and when GLIBC_TUNABLES already sets these (the user's choice).
#include <cstddef>

namespace ganflow {

// Returns whether the policy was applied.
bool steady_heap(std::size_t trim_threshold = std::size_t(512) << 20);

}  // namespace ganflow
