#pragma once
// What the layer benchmarks (conv_transpose_layers, step_roofline) share: their options and
// the median of a set of timings.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace layer_bench {

struct Options {
  int64_t bs = 64, reps = 20, threads = 2;
};

// Reads --bs --reps --threads, then sets torch's threads and seed. False (after printing
// why) on anything else.
inline bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (i + 1 >= argc) return std::fprintf(stderr, "%s needs a value\n", a.c_str()), false;
    if (a == "--bs") o.bs = std::stoll(argv[i + 1]);
    else if (a == "--reps") o.reps = std::stoll(argv[i + 1]);
    else if (a == "--threads") o.threads = std::stoll(argv[i + 1]);
    else return std::fprintf(stderr, "unknown option %s\n", a.c_str()), false;
  }
  torch::set_num_threads(int(o.threads));
  torch::manual_seed(0);
  return true;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace layer_bench
