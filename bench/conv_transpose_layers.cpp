// The evidence behind FastConvTranspose2d's rule: forward + backward (input and weight
// gradients) of every transposed convolution in the default DCGAN generator and of an
// output-channel sweep, interleaved, median of --reps, through each path: the stock LibTorch
// op, the convolution primitives with oneDNN's weight gradient, the same with the unfold
// weight gradient, and (1x1 inputs) the matrix product.
// Usage: conv_transpose_layers [--bs 64] [--reps 20] [--threads 2]
// Prints one line per layer: shape, ms per path, stock / the best other path.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "ganflow/layers/conv_transpose.hpp"
#include "layer_bench.hpp"

namespace {

struct Layer {
  int64_t in, out, size_in, kernel, stride, padding;
};

enum class Path { stock, conv_wgrad, unfold_wgrad, matmul };

// Each path called directly, so the rule the module applies does not decide what is measured.
double step_ms(ganflow::layers::FastConvTranspose2d& m, const Layer& l, const torch::Tensor& x, Path path) {
  using ganflow::layers::WeightGrad;
  auto via_conv = [&](WeightGrad wg) {
    return ganflow::layers::conv_transpose2d_via_conv(x, m->weight, {}, {l.stride, l.stride}, {l.padding, l.padding},
                                                      {0, 0}, 1, {1, 1}, wg);
  };
  auto t0 = std::chrono::steady_clock::now();
  torch::Tensor y = path == Path::stock          ? m->forward(x)
                    : path == Path::conv_wgrad   ? via_conv(WeightGrad::convolution)
                    : path == Path::unfold_wgrad ? via_conv(WeightGrad::unfold)
                                                 : ganflow::layers::conv_transpose2d_1x1_input(x, m->weight, {});
  y.backward(torch::ones_like(y));
  auto t1 = std::chrono::steady_clock::now();
  m->weight.mutable_grad().reset();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  layer_bench::Options opt;
  if (!layer_bench::parse(argc, argv, opt)) return 2;
  const int64_t bs = opt.bs, reps = opt.reps, threads = opt.threads;
  ganflow::layers::set_fast_conv(false);  // the module's forward is the stock column
  // graphs/dcgan_fashion_mnist.json's generator: noise 100, n_features 64, 32x32x1.
  std::vector<Layer> layers = {{100, 256, 1, 4, 1, 0}, {256, 128, 4, 4, 2, 1}, {128, 64, 8, 4, 2, 1}, {64, 1, 16, 4, 2, 1}};
  // The output-channel sweep behind the rule's threshold (an RGB output layer among them).
  for (int64_t c : {2, 3, 4, 8, 16}) layers.push_back({64, c, 16, 4, 2, 1});
  layers.push_back({32, 3, 32, 4, 2, 1});
  std::printf("%s\nbatch %lld, %lld threads, median of %lld: forward + backward ms\n", layer_bench::machine().c_str(),
              (long long)bs, (long long)threads, (long long)reps);
  std::printf("%-34s %8s %10s %12s %8s   %s\n", "layer", "stock", "conv-wgrad", "unfold-wgrad", "matmul",
              "stock / best other");
  for (const Layer& l : layers) {
    ganflow::layers::FastConvTranspose2d m(torch::nn::ConvTranspose2dOptions(l.in, l.out, l.kernel)
                                               .stride(l.stride)
                                               .padding(l.padding)
                                               .bias(false));
    torch::Tensor x = torch::randn({bs, l.in, l.size_in, l.size_in}, torch::requires_grad());
    std::vector<Path> paths = {Path::stock, Path::conv_wgrad, Path::unfold_wgrad};
    if (l.size_in == 1 && l.padding == 0) paths.push_back(Path::matmul);
    std::vector<std::vector<double>> ms(4);
    for (Path p : paths) step_ms(m, l, x, p);  // warm-up: first-call allocations and oneDNN primitives
    for (int64_t r = 0; r < reps; ++r)
      for (Path p : paths) ms[int(p)].push_back(step_ms(m, l, x, p));
    char name[64];
    std::snprintf(name, sizeof name, "%lld->%lld, %lldx%lld, k%lld s%lld p%lld", (long long)l.in, (long long)l.out,
                  (long long)l.size_in, (long long)l.size_in, (long long)l.kernel, (long long)l.stride,
                  (long long)l.padding);
    std::vector<double> med(4, 0);
    double best = 1e30;
    for (Path p : paths) {
      med[int(p)] = layer_bench::median(ms[int(p)]);
      if (p != Path::stock) best = std::min(best, med[int(p)]);
    }
    std::printf("%-34s %8.2f %10.2f %12.2f ", name, med[0], med[1], med[2]);
    if (paths.size() == 4) std::printf("%8.2f", med[3]);
    else std::printf("%8s", "-");
    std::printf("   %.2f\n", med[0] / best);
  }
  return 0;
}
