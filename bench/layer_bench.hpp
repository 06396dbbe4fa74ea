#pragma once
// What the layer benchmarks (conv_transpose_layers, conv2d_layers, step_roofline) share: their
// options, the heap the ganflow program runs with, the machine line and the median of timings.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "ganflow/cpu_isa.hpp"
#include "ganflow/framework/session/steady_heap.hpp"
#include "ganflow/layers/fast_conv.hpp"

namespace layer_bench {

struct Options {
  int64_t bs = 64, reps = 20, threads = 2;
  bool bf16 = false;           // --precision bf16, where the bench takes it
  bool channels_last = false;  // --layout nhwc, where the bench takes it
};

// Reads --bs --reps --threads (and --precision fp32|bf16 where `precision` is true, --layout
// nchw|nhwc where `layout` is), then sets
// torch's threads and seed and the ganflow program's heap (steady_heap: at glibc's defaults
// every large tensor is mapped fresh and faulted in, which measured page faults, not kernels,
// on this VM). False (after printing why) on anything else.
inline bool parse(int argc, char** argv, Options& o, bool precision = false, bool layout = false) {
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (i + 1 >= argc) return std::fprintf(stderr, "%s needs a value\n", a.c_str()), false;
    if (a == "--bs") o.bs = std::stoll(argv[i + 1]);
    else if (a == "--reps") o.reps = std::stoll(argv[i + 1]);
    else if (a == "--threads") o.threads = std::stoll(argv[i + 1]);
    else if (precision && a == "--precision") {
      std::string v = argv[i + 1];
      if (v != "fp32" && v != "bf16")
        return std::fprintf(stderr, "--precision takes fp32 or bf16, not %s\n", v.c_str()), false;
      o.bf16 = v == "bf16";
    } else if (layout && a == "--layout") {
      std::string v = argv[i + 1];
      if (v != "nchw" && v != "nhwc")
        return std::fprintf(stderr, "--layout takes nchw or nhwc, not %s\n", v.c_str()), false;
      o.channels_last = v == "nhwc";
    } else return std::fprintf(stderr, "unknown option %s\n", a.c_str()), false;
  }
  torch::set_num_threads(int(o.threads));
  torch::manual_seed(0);
  ganflow::steady_heap();
  return true;
}

// "cpu: <model>, ISA: <extensions>, oneDNN convolution kernels: AVX-512|AVX2 or less".
inline std::string machine() {
  const auto& isa = ganflow::cpu_isa();
  const bool wide = ganflow::layers::conv_isa() == ganflow::layers::ConvIsa::avx512;
  return "cpu: " + (isa.model.empty() ? std::string("unknown") : isa.model) + ", ISA: " + isa.describe() +
         ", oneDNN convolution kernels: " + (wide ? "AVX-512" : "AVX2 or less");
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace layer_bench
