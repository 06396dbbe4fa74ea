#pragma once
// Hand-vectorised CPU kernels' shared pieces (internal to the SDK): 16-float vectors, their
// loads from float and bf16 memory, and the per-ISA clones the loader picks from.
#include <c10/util/BFloat16.h>

#include <cstdint>
#include <cstring>

// The kernels are compiled for AVX-512 and AVX2 beside the baseline, and the loader picks one
// per CPU (GCC/Clang function multiversioning): the SDK itself is built for plain x86-64.
#if defined(__x86_64__) && defined(__ELF__) && !defined(__SANITIZE_ADDRESS__)
#define GANFLOW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GANFLOW_CLONES
#endif

// A kernel body templated or shared between clones, inlined into each of them.
#define GANFLOW_BODY inline __attribute__((always_inline))

namespace ganflow::layers::detail {

// 16 floats: one AVX-512 register, two AVX2 ones, four SSE ones (GCC/Clang vector extensions,
// so that each clone's loops are vector code whatever the auto-vectoriser makes of them).
using Vec = float __attribute__((vector_size(64)));
constexpr long kVec = 16;
inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, const Vec& v) { std::memcpy(p, &v, sizeof v); }

// 16 bf16 values widened to floats (exact: a bf16 is a float's upper half).
using Halves = uint16_t __attribute__((vector_size(32)));
using Words = uint32_t __attribute__((vector_size(64)));
inline Vec load(const c10::BFloat16* p) {
  Halves h;
  std::memcpy(&h, p, sizeof h);
  const Words w = __builtin_convertvector(h, Words) << 16;
  Vec v;
  std::memcpy(&v, &w, sizeof v);
  return v;
}

}  // namespace ganflow::layers::detail
