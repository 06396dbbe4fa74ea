#pragma once
// The instruction-set extensions of this machine's CPU that decide how fast reduced precision
// runs (what the kernel reports in /proc/cpuinfo: what the CPU has and the OS enables).
#include <string>

namespace ganflow {

struct CpuIsa {
  bool avx2 = false, avx512f = false;
  bool avx512_bf16 = false;  // bf16 dot products in AVX-512 (Cooper Lake, Zen 4)
  bool amx_bf16 = false;     // bf16 tile matrix multiply (Sapphire Rapids)
  // "AVX2 AVX-512F AVX512-BF16 AMX-BF16" (those present), or "below AVX2".
  std::string describe() const;
};

// This machine's, read once.
const CpuIsa& cpu_isa();

}  // namespace ganflow
