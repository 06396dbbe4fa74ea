#include "ganflow/layers/fast_conv.hpp"

#include <ATen/Context.h>

#include <strings.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "ganflow/cpu_isa.hpp"

namespace ganflow::layers {

namespace {
std::atomic<bool>& fast_flag() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("GANFLOW_STOCK_CONV");
    return !(env && std::strcmp(env, "1") == 0);
  }()};
  return on;
}

std::atomic<ConvIsa>& isa_in_use() {
  static std::atomic<ConvIsa> isa{[] {
    for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"}) {
      const char* cap = std::getenv(name);  // "AVX2", "AVX512_CORE", "ALL", ...
      if (cap && *cap && strncasecmp(cap, "AVX512", 6) != 0 && strcasecmp(cap, "ALL") != 0) return ConvIsa::avx2_or_less;
    }
    return cpu_isa().avx512_core ? ConvIsa::avx512 : ConvIsa::avx2_or_less;
  }()};
  return isa;
}
}  // namespace

bool fast_conv_enabled() { return fast_flag().load(); }
void set_fast_conv(bool on) { fast_flag().store(on); }

bool fast_conv_applies(const at::Tensor& input) {
  return fast_conv_enabled() && input.device().is_cpu() && input.dim() == 4 &&
         at::globalContext().userEnabledMkldnn() && at::hasMKLDNN();
}

ConvIsa conv_isa() { return isa_in_use().load(); }
void set_conv_isa(ConvIsa isa) { isa_in_use().store(isa); }

}  // namespace ganflow::layers
