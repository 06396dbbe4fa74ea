// The transposed direction onto few channels (a transposed convolution's forward, a convolution's
// input gradient): oneDNN's input-gradient primitive against ganflow's few_channel_transposed_conv,
// 4x4 kernels, stride 2, padding 1, 64 channels in, 1-16 out, at two sizes. ms, interleaved,
// median of --reps, and the largest difference between the two results; `NHWC`: ganflow's on a
// channels-last copy of the same input (each sample transposed in cache). --precision bf16: both
// on bf16 tensors (oneDNN's bf16 kernels; ganflow's sums in float and rounds once).
// Usage: few_channel_transposed_conv [--bs 64] [--reps 20] [--threads 2] [--precision fp32|bf16]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "ganflow/layers/few_channel_transposed_conv.hpp"
#include "layer_bench.hpp"

namespace {
double ms(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  layer_bench::Options opt;
  if (!layer_bench::parse(argc, argv, opt, /*precision=*/true)) return 2;
  const auto dtype = opt.bf16 ? torch::kBFloat16 : torch::kFloat32;
  std::printf("%s\nbatch %lld, %lld threads, median of %lld, %s: 64 channels in, k4 s2 p1, ms\n",
              layer_bench::machine().c_str(), (long long)opt.bs, (long long)opt.threads, (long long)opt.reps,
              opt.bf16 ? "bf16" : "fp32");
  std::printf("%-22s %10s %12s %8s %10s %8s\n", "out channels, size", "oneDNN", "few_channel", "ratio", "max diff", "NHWC");
  for (int64_t size : {16, 32})
    for (int64_t out : {1, 2, 3, 4, 8, 16}) {
      torch::Tensor g = torch::randn({opt.bs, 64, size, size}).to(dtype), w = torch::randn({64, out, 4, 4}).to(dtype);
      torch::Tensor shape_only = torch::empty({opt.bs, out, 2 * size, 2 * size}, dtype);
      const torch::Tensor g_cl = g.contiguous(torch::MemoryFormat::ChannelsLast);
      torch::Tensor a, b, c;
      auto onednn = [&] {
        a = std::get<0>(at::convolution_backward(g, shape_only, w, c10::nullopt, {2, 2}, {1, 1}, {1, 1}, false, {0, 0}, 1,
                                                 {true, false, false}));
      };
      auto few = [&] { b = ganflow::layers::few_channel_transposed_conv(g, w, {2, 2}, {1, 1}, {1, 1}, {2 * size, 2 * size}); };
      auto few_cl = [&] {
        c = ganflow::layers::few_channel_transposed_conv(g_cl, w, {2, 2}, {1, 1}, {1, 1}, {2 * size, 2 * size});
      };
      std::vector<double> ta, tb, tc;
      for (int64_t r = -2; r < opt.reps; ++r) {
        double x = ms(onednn), y = ms(few), z = ms(few_cl);
        if (r >= 0) ta.push_back(x), tb.push_back(y), tc.push_back(z);
      }
      if (!torch::equal(b, c)) std::printf("NHWC input gave other values\n");
      double ma = layer_bench::median(ta), mb = layer_bench::median(tb), mc = layer_bench::median(tc);
      char label[32];
      std::snprintf(label, sizeof label, "%lld, %lld -> %lld", (long long)out, (long long)size, (long long)(2 * size));
      std::printf("%-22s %10.2f %12.2f %7.2fx %10.2e %8.2f\n", label, ma, mb, ma / mb, (a - b).abs().max().item<double>(), mc);
    }
  return 0;
}
