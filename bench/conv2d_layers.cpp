// The evidence behind FastConv2d's input-channel rule: forward + backward (input and weight
// gradients) of a critic's first layer (k4 s2 p1 -> 64 channels) for 1 to 8 input channels at
// 32x32 and 64x64, interleaved, median of --reps, through the stock op and through ganflow's own
// route (conv2d_few_input_channels) with each weight gradient: unfold, or oneDNN's. The own route's
// input gradient is few_channel_transposed_conv where that applies (AVX-512 kernels, up to 4
// channels), else oneDNN's. Run it beside `DNNL_MAX_CPU_ISA=AVX2` to see oneDNN's AVX2 kernels
// on an AVX-512 CPU (bench/BENCHMARKS.md, "Which path, by ISA").
// Usage: conv2d_layers [--bs 64] [--reps 20] [--threads 2]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "ganflow/layers/conv2d.hpp"
#include "layer_bench.hpp"

namespace {

enum Route { kStock, kUnfold, kOneDnn };

double step_ms(ganflow::layers::FastConv2d& m, const torch::Tensor& x, Route route) {
  using ganflow::layers::WeightGrad;
  auto t0 = std::chrono::steady_clock::now();
  torch::Tensor y = route == kStock ? m->forward(x)
                                    : ganflow::layers::conv2d_few_input_channels(
                                          x, m->weight, {}, {2, 2}, {1, 1},
                                          route == kUnfold ? WeightGrad::unfold : WeightGrad::convolution);
  y.backward(torch::ones_like(y));
  auto t1 = std::chrono::steady_clock::now();
  m->weight.mutable_grad().reset();
  x.mutable_grad().reset();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  layer_bench::Options opt;
  if (!layer_bench::parse(argc, argv, opt)) return 2;
  ganflow::layers::set_fast_conv(false);  // the module's forward is the stock column
  std::printf("%s\nbatch %lld, %lld threads, median of %lld: forward + backward ms\n", layer_bench::machine().c_str(),
              (long long)opt.bs, (long long)opt.threads, (long long)opt.reps);
  std::printf("%-26s %8s %13s %13s\n", "layer", "stock", "own, unfold", "own, oneDNN");
  for (int64_t size : {32, 64})
    for (int64_t in : {1, 2, 3, 4, 8}) {
      ganflow::layers::FastConv2d m(torch::nn::Conv2dOptions(in, 64, 4).stride(2).padding(1).bias(false));
      torch::Tensor x = torch::randn({opt.bs, in, size, size}, torch::requires_grad());
      std::vector<double> ms[3];
      for (Route r : {kStock, kUnfold, kOneDnn}) step_ms(m, x, r);  // warm-up
      for (int64_t rep = 0; rep < opt.reps; ++rep)
        for (Route r : {kStock, kUnfold, kOneDnn}) ms[r].push_back(step_ms(m, x, r));
      char name[64];
      std::snprintf(name, sizeof name, "%lld->64, %lldx%lld, k4 s2 p1", (long long)in, (long long)size, (long long)size);
      std::printf("%-26s %8.2f %13.2f %13.2f\n", name, layer_bench::median(ms[kStock]), layer_bench::median(ms[kUnfold]),
                  layer_bench::median(ms[kOneDnn]));
    }
  return 0;
}
