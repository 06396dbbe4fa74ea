// How fast can the default DCGAN step be on this machine? A roofline for
// graphs/dcgan_fashion_mnist.json (32x32x1, noise 100, n_features 64, 1:1 switching):
//  - peak: a 2048^3 matrix product (OpenBLAS sgemm in fp32) and a large 3x3 convolution
//    (oneDNN), measured here;
//  - the step's arithmetic: the multiply-adds of every convolution pass in one critic step
//    plus one generator step (the idle network frozen, as ganflow trains);
//  - each of those passes timed as ganflow runs it (FastConvTranspose2d for the generator,
//    FastConv2d for the critic), median of --reps.
// Prints the conv-only ceiling (images/s if everything but the convolutions were free) and the
// arithmetic ceiling (images/s if every convolution ran at the best rate measured here: the
// matrix product, the large convolution or the fastest of the step's own layers, whichever is highest;
// on AVX-512 oneDNN's convolutions outrun OpenBLAS's sgemm, so the sgemm alone is no peak).
// --precision bf16: every pass (and both peaks) under CPU autocast bf16, as ganflow's
// `precision: bf16` runs them: activations and gradients bf16, parameters fp32.
// --layout nhwc: weights, inputs and gradients channels-last, as ganflow's `channels_last: true`.
// Usage: step_roofline [--bs 64] [--reps 20] [--threads 2] [--precision fp32|bf16] [--layout nchw|nhwc]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "ganflow/cpu_isa.hpp"
#include "ganflow/framework/train/autocast_scope.hpp"
#include "ganflow/layers/channels_last.hpp"
#include "ganflow/layers/conv2d.hpp"
#include "ganflow/layers/conv_transpose.hpp"
#include "layer_bench.hpp"

namespace {

double median_ms(int64_t reps, const std::function<void()>& setup, const std::function<void()>& timed) {
  std::vector<double> ms;
  for (int64_t r = -2; r < reps; ++r) {  // two warm-up calls: allocations, oneDNN primitives
    setup();
    auto t0 = std::chrono::steady_clock::now();
    timed();
    double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r >= 0) ms.push_back(t);
  }
  return layer_bench::median(ms);
}

struct Layer {
  const char* name;
  bool transposed;
  int64_t in, out, kernel, stride, padding, size_in;
  bool bias;
  int64_t size_out() const {
    return transposed ? (size_in - 1) * stride - 2 * padding + kernel : (size_in + 2 * padding - kernel) / stride + 1;
  }
  // Multiply-adds of one pass (forward, input grad and weight grad each cost the same).
  double macs(int64_t bs) const {
    int64_t small = transposed ? size_in : size_out();  // the convolution's output side
    return double(bs) * double(small * small) * double(in * out * kernel * kernel);
  }
};

// How often each pass runs in one critic step + one generator step.
struct Passes {
  int64_t forward, backward_both, backward_weight, backward_input;
};

Passes passes(const Layer& l, bool first) {
  if (l.transposed)  // generator: forward in both steps; backward only in its own step
    return first ? Passes{2, 0, 1, 0} : Passes{2, 1, 0, 0};
  // critic: forward on real and fake (critic step) and fake (generator step); backward twice in
  // its own step, and for the input gradient only in the generator's step.
  return first ? Passes{3, 0, 2, 1} : Passes{3, 2, 0, 1};
}

struct Timing {
  double forward, both, weight, input;
};

// Autocast bf16 on the CPU for one call when bf16, nothing otherwise.
ganflow::AutocastScope precision_scope(bool bf16) {
  return ganflow::AutocastScope(c10::DeviceType::CPU, bf16 ? std::optional(at::kBFloat16) : std::nullopt);
}

Timing time_layer(const Layer& l, int64_t bs, int64_t reps, bool bf16, bool channels_last) {
  std::function<torch::Tensor(const torch::Tensor&)> forward;
  std::vector<torch::Tensor> params;
  if (l.transposed) {
    ganflow::layers::FastConvTranspose2d t(
        torch::nn::ConvTranspose2dOptions(l.in, l.out, l.kernel).stride(l.stride).padding(l.padding).bias(l.bias));
    if (channels_last) ganflow::layers::to_channels_last(*t);
    params = t->parameters();
    forward = [t, bf16](const torch::Tensor& x) mutable {
      auto scope = precision_scope(bf16);
      return t->forward(x);
    };
  } else {
    ganflow::layers::FastConv2d c(
        torch::nn::Conv2dOptions(l.in, l.out, l.kernel).stride(l.stride).padding(l.padding).bias(l.bias));
    if (channels_last) ganflow::layers::to_channels_last(*c);
    params = c->parameters();
    forward = [c, bf16](const torch::Tensor& x) mutable {
      auto scope = precision_scope(bf16);
      return c->forward(x);
    };
  }
  const auto dtype = bf16 ? torch::kBFloat16 : torch::kFloat32;  // the previous layer's output
  auto layout = [channels_last](const torch::Tensor& t) {
    return channels_last ? ganflow::layers::channels_last_strided(t) : t;
  };
  torch::Tensor x = layout(torch::randn({bs, l.in, l.size_in, l.size_in}).to(dtype));
  Timing t{};
  t.forward = median_ms(reps, [] {}, [&] {
    torch::NoGradGuard ng;
    forward(x);
  });
  torch::Tensor y, g = layout(torch::randn({bs, l.out, l.size_out(), l.size_out()}).to(dtype));
  auto backward = [&](bool input, bool weight) {
    return median_ms(
        reps,
        [&] {
          x.requires_grad_(input);
          x.mutable_grad().reset();
          for (auto& p : params) {  // a frozen network: no parameter gradient at all
            p.requires_grad_(weight);
            p.mutable_grad().reset();
          }
          y = forward(x);
        },
        [&] { y.backward(g); });
  };
  t.both = backward(true, true);
  t.weight = backward(false, true);
  t.input = backward(true, false);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  layer_bench::Options opt;
  if (!layer_bench::parse(argc, argv, opt, /*precision=*/true, /*layout=*/true)) return 2;
  const int64_t bs = opt.bs, reps = opt.reps, threads = opt.threads;
  const bool bf16 = opt.bf16;
  torch::Tensor a = torch::randn({2048, 2048}), b = torch::randn({2048, 2048});
  double gemm_gflops = 2.0 * 2048 * 2048 * 2048 / median_ms(5, [] {}, [&] {
                         auto scope = precision_scope(bf16);
                         a.mm(b);
                       }) / 1e6;
  torch::Tensor cx = torch::randn({64, 256, 32, 32}), cw = torch::randn({256, 256, 3, 3});
  double conv_gflops = 2.0 * 64 * 256 * 256 * 9 * 32 * 32 / median_ms(5, [] {}, [&] {
                         auto scope = precision_scope(bf16);
                         torch::conv2d(cx, cw, {}, 1, 1);
                       }) / 1e6;
  std::printf("%s\n", layer_bench::machine().c_str());
  std::printf("%lld threads, batch %lld, median of %lld, %s, %s\n", (long long)threads, (long long)bs, (long long)reps,
              bf16 ? "bf16 (CPU autocast)" : "fp32", opt.channels_last ? "channels-last" : "NCHW");
  std::printf("peak: matrix product 2048^3 %.1f GFLOP/s, conv 3x3 256->256 32x32 (oneDNN) %.1f GFLOP/s\n\n", gemm_gflops,
              conv_gflops);

  std::vector<Layer> gen = {{"G1 100->256 1->4", true, 100, 256, 4, 1, 0, 1, false},
                            {"G2 256->128 4->8", true, 256, 128, 4, 2, 1, 4, false},
                            {"G3 128->64 8->16", true, 128, 64, 4, 2, 1, 8, false},
                            {"G4 64->1 16->32", true, 64, 1, 4, 2, 1, 16, false}};
  std::vector<Layer> crit = {{"C1 1->64 32->16", false, 1, 64, 4, 2, 1, 32, true},
                             {"C2 64->128 16->8", false, 64, 128, 4, 2, 1, 16, false},
                             {"C3 128->256 8->4", false, 128, 256, 4, 2, 1, 8, false},
                             {"C4 256->1 4->1", false, 256, 1, 4, 1, 0, 4, true}};
  std::printf("%-20s %8s %9s %9s %9s %9s %11s %12s\n", "layer", "MMAC", "fwd ms", "bwd ms", "wgrad ms", "igrad ms",
              "ms / 2 steps", "GFLOP/s");
  double total_ms = 0, total_macs = 0;
  double peak = std::max(gemm_gflops, conv_gflops);
  std::string peak_name = gemm_gflops >= conv_gflops ? "the matrix product" : "the 3x3 convolution";
  for (auto* list : {&gen, &crit}) {
    for (size_t i = 0; i < list->size(); ++i) {
      const Layer& l = (*list)[i];
      Passes p = passes(l, i == 0);
      Timing t = time_layer(l, bs, reps, bf16, opt.channels_last);
      double ms = p.forward * t.forward + p.backward_both * t.both + p.backward_weight * t.weight +
                  p.backward_input * t.input;
      double n_passes = p.forward + 2 * p.backward_both + p.backward_weight + p.backward_input;
      double macs = n_passes * l.macs(bs);
      total_ms += ms, total_macs += macs;
      if (2 * macs / ms / 1e6 > peak) peak = 2 * macs / ms / 1e6, peak_name = l.name;
      std::printf("%-20s %8.1f %9.2f %9.2f %9.2f %9.2f %11.2f %12.1f\n", l.name, l.macs(bs) / 1e6, t.forward, t.both,
                  t.weight, t.input, ms, 2 * macs / ms / 1e6);
    }
  }
  double images = 2.0 * double(bs);  // one critic step + one generator step
  double flop_per_image = 2 * total_macs / images;
  double peak_ms = 2 * total_macs / peak / 1e6;
  std::printf("\nconvolutions per critic + generator step: %.2f GFLOP, %.1f MFLOP per image\n", 2 * total_macs / 1e9,
              flop_per_image / 1e6);
  std::printf("measured convolution time per step pair   %8.1f ms -> conv-only ceiling  %7.1f images/s (%.0f%% of the peak)\n",
              total_ms, images / total_ms * 1e3, 100 * peak_ms / total_ms);
  std::printf("at the peak, %.1f GFLOP/s (%s)  %8.1f ms -> arithmetic ceiling %7.1f images/s\n", peak,
              peak_name.c_str(), peak_ms, images / peak_ms * 1e3);
  return 0;
}
