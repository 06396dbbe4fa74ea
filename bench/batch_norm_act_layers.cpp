// The fused BatchNorm + activation (sdk/src/layers/batch_norm_act.cpp) against the two stock
// layers, on the default DCGAN's BatchNorm shapes: forward + backward (input, weight and bias
// gradients) ms, interleaved, median of --reps, in both block orders.
// Usage: batch_norm_act_layers [--bs 64] [--reps 20] [--threads 2]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "ganflow/layers/conv_layer.hpp"
#include "layer_bench.hpp"

namespace {

struct Shape {
  const char* where;
  int64_t channels, size;
  double slope;  // 0: ReLU
};

double step_ms(ganflow::layers::SequentialBlock& block, const torch::Tensor& x, bool fused) {
  ganflow::layers::set_fast_conv(fused);  // the switch for every fast layer, this one included
  auto t0 = std::chrono::steady_clock::now();
  torch::Tensor y = block->forward(x);
  y.backward(torch::ones_like(y));
  auto t1 = std::chrono::steady_clock::now();
  for (auto& p : block->parameters()) p.mutable_grad().reset();
  x.mutable_grad().reset();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ganflow::layers;
  layer_bench::Options opt;
  if (!layer_bench::parse(argc, argv, opt)) return 2;
  std::printf("%s\nbatch %lld, %lld threads, median of %lld: BatchNorm + activation, forward + backward ms\n",
              layer_bench::machine().c_str(), (long long)opt.bs, (long long)opt.threads, (long long)opt.reps);
  std::printf("%-34s %-10s %8s %8s   %s\n", "layer", "order", "stock", "fused", "stock / fused");
  const std::vector<Shape> shapes = {{"generator 256 4x4", 256, 4, 0.0},   {"generator 128 8x8", 128, 8, 0.0},
                                     {"generator 64 16x16", 64, 16, 0.0},  {"critic 128 8x8 (leaky 0.2)", 128, 8, 0.2},
                                     {"critic 256 4x4 (leaky 0.2)", 256, 4, 0.2}};
  double total[2] = {0, 0};
  for (const auto& s : shapes)
    for (BlockOrder order : {BlockOrder::V1, BlockOrder::V2}) {
      // conv_layer's block without its convolution: [act, BN] (v1) or [BN, act] (v2).
      SequentialBlock full = conv_layer(ConvLayerOptions(s.channels, s.channels)
                                            .with_order(order)
                                            .with_act(s.slope == 0.0 ? Act::ReLU : Act::LeakyReLU, s.slope));
      SequentialBlock block;
      for (size_t i = 1; i < full->size(); ++i) block->push_back(full->begin()[i]);
      torch::Tensor x = torch::randn({opt.bs, s.channels, s.size, s.size}, torch::requires_grad());
      std::vector<double> ms[2];
      for (bool fused : {false, true}) step_ms(block, x, fused);  // warm-up
      for (int64_t r = 0; r < opt.reps; ++r)
        for (bool fused : {false, true}) ms[fused].push_back(step_ms(block, x, fused));
      const double stock = layer_bench::median(ms[0]), fused = layer_bench::median(ms[1]);
      total[0] += stock, total[1] += fused;
      std::printf("%-34s %-10s %8.3f %8.3f   %.2f\n", s.where, order == BlockOrder::V1 ? "v1 act-BN" : "v2 BN-act",
                  stock, fused, stock / fused);
    }
  std::printf("%-34s %-10s %8.3f %8.3f   %.2f\n", "all of the above", "", total[0], total[1], total[0] / total[1]);
  return 0;
}
