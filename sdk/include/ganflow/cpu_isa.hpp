#pragma once
// This machine's CPU: its model and the instruction-set extensions that decide which kernels run
// (what the kernel reports in /proc/cpuinfo: what the CPU has and the OS enables). Reduced
// precision (framework/train/precision) and the fast convolution paths' rules read it.
#include <string>

#include "ganflow/export.hpp"

namespace ganflow {

struct GANFLOW_API CpuIsa {
  std::string model;  // "AMD EPYC", "Intel(R) Xeon(R) ..."; empty when unknown
  bool avx2 = false, avx512f = false;
  bool avx512_core = false;  // F + BW + VL + DQ: what oneDNN's avx512_core kernels need
  bool avx512_bf16 = false;  // bf16 dot products in AVX-512 (Cooper Lake, Zen 4)
  bool amx_bf16 = false;     // bf16 tile matrix multiply (Sapphire Rapids)
  // "AVX2 AVX-512F AVX512-BF16 AMX-BF16" (those present), or "below AVX2".
  std::string describe() const;
};

// This machine's, read once.
GANFLOW_API const CpuIsa& cpu_isa();

}  // namespace ganflow
