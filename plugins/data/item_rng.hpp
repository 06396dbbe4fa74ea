#pragma once
// A small, portable random stream (splitmix64) for per-item augmentation: the same seed gives
// the same draws on every platform and thread (std:: distributions are implementation-defined).
#include <cstdint>

namespace ganflow::data {

class ItemRng {
 public:
  explicit ItemRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int uniform_int(int lo, int hi) { return lo + int(next() % uint64_t(hi - lo + 1)); }  // [lo, hi]
  bool coin() { return next() >> 63; }

 private:
  uint64_t state_;
};

}  // namespace ganflow::data
