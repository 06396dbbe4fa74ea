#include "ganflow/layers/fast_conv.hpp"

#include <ATen/Context.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ganflow::layers {

namespace {
std::atomic<bool>& fast_flag() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("GANFLOW_STOCK_CONV");
    return !(env && std::strcmp(env, "1") == 0);
  }()};
  return on;
}
}  // namespace

bool fast_conv_enabled() { return fast_flag().load(); }
void set_fast_conv(bool on) { fast_flag().store(on); }

bool fast_conv_applies(const at::Tensor& input) {
  return fast_conv_enabled() && input.device().is_cpu() && input.dim() == 4 &&
         at::globalContext().userEnabledMkldnn() && at::hasMKLDNN();
}

}  // namespace ganflow::layers
