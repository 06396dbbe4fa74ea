// FastConv2d equals the stock Conv2d on each of its paths (matmul, unfold weight gradient,
// stock): forward, input, weight and bias gradients; the rule picks the path by shape and ISA.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/layers/conv2d.hpp"
#include "layer_vs_stock.hpp"

namespace {
struct Conv2dCase {
  int64_t in, out, k, stride, pad, h;
  bool bias;
};
}  // namespace

TEST_CASE("FastConv2d matches the stock op and its gradients on every path, by each ISA's rule", "[layers]") {
  using P = ganflow::layers::Conv2dPath;
  using ganflow::layers::ConvIsa;
  // The path below AVX-512; with AVX-512 kernels 1-2 input channels take the stock op.
  std::vector<std::pair<Conv2dCase, P>> cases = {
      {{256, 1, 4, 1, 0, 4, true}, P::matmul},               // basic_critic's last layer: 4x4 -> 1x1
      {{16, 5, 3, 2, 0, 3, false}, P::matmul},               // whole input, stride irrelevant
      {{1, 64, 4, 2, 1, 32, true}, P::unfold_weight_grad},   // a grey critic's first layer
      {{2, 8, 3, 1, 1, 9, false}, P::unfold_weight_grad},    // 2 channels, stride 1
      {{1, 6, 5, 3, 2, 11, true}, P::unfold_weight_grad},    // stride 3, padding 2
      {{3, 8, 4, 2, 1, 16, true}, P::stock},                 // RGB: oneDNN's own weight gradient
      {{16, 8, 4, 1, 1, 4, false}, P::stock},                // kernel = input, but padded
  };
  torch::manual_seed(0);
  int checked = 0;
  for (ConvIsa isa : {ConvIsa::avx2_or_less, ConvIsa::avx512}) {
    gantest::ConvIsaScope scope(isa);
    for (auto& [c, avx2_path] : cases) {
      INFO((isa == ConvIsa::avx512 ? "AVX-512" : "AVX2") << ": in " << c.in << " out " << c.out << " k " << c.k
                                                         << " s " << c.stride << " p " << c.pad << " h " << c.h);
      const P expected = isa == ConvIsa::avx512 && avx2_path == P::unfold_weight_grad ? P::stock : avx2_path;
      auto opts = torch::nn::Conv2dOptions(c.in, c.out, c.k).stride(c.stride).padding(c.pad).bias(c.bias);
      torch::nn::Conv2d stock(opts);
      ganflow::layers::FastConv2d fast(opts);
      torch::Tensor x = torch::randn({3, c.in, c.h, c.h});
      CHECK(ganflow::layers::conv2d_path(*fast, x) == expected);
      gantest::check_matches_stock(stock, fast, x);
      ++checked;
    }
  }
  CHECK(checked == 2 * int(cases.size()));
}

TEST_CASE("FastConv2d gives each gradient alone, as a frozen critic needs", "[layers]") {
  // The generator's step: the critic frozen, only the input gradient flows. Below AVX-512 this
  // 1-channel layer takes the unfold route.
  gantest::ConvIsaScope scope(ganflow::layers::ConvIsa::avx2_or_less);
  ganflow::layers::FastConv2d fast(torch::nn::Conv2dOptions(1, 8, 4).stride(2).padding(1));
  torch::nn::Conv2d stock(torch::nn::Conv2dOptions(1, 8, 4).stride(2).padding(1));
  {
    torch::NoGradGuard ng;
    fast->weight.copy_(stock->weight);
    fast->bias.copy_(stock->bias);
  }
  for (auto* m : {static_cast<torch::nn::Module*>(fast.get()), static_cast<torch::nn::Module*>(stock.get())})
    for (auto& p : m->parameters()) p.requires_grad_(false);
  torch::Tensor x = torch::randn({2, 1, 8, 8});
  torch::Tensor xf = x.clone().requires_grad_(true), xs = x.clone().requires_grad_(true);
  fast->forward(xf).sum().backward();
  stock->forward(xs).sum().backward();
  CHECK(torch::allclose(xf.grad(), xs.grad(), 1e-4, 1e-5));
  CHECK_FALSE(fast->weight.grad().defined());
}

TEST_CASE("FastConv2d's rule: stock off the plain shapes, with AVX-512 kernels and with the fast paths off", "[layers]") {
  using P = ganflow::layers::Conv2dPath;
  using ganflow::layers::ConvIsa;
  auto path = [](torch::nn::Conv2dOptions o, int64_t h) {
    ganflow::layers::FastConv2d m(o);
    return ganflow::layers::conv2d_path(*m, torch::randn({2, o.in_channels(), h, h}));
  };
  {
    gantest::ConvIsaScope avx512(ConvIsa::avx512);
    CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1), 8) == P::stock);
    CHECK(path(torch::nn::Conv2dOptions(8, 1, 4), 4) == P::matmul);
  }
  gantest::ConvIsaScope avx2(ConvIsa::avx2_or_less);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1), 8) == P::unfold_weight_grad);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1).dilation(2), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(2, 8, 3).padding(1).groups(2), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(torch::kSame), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1).padding_mode(torch::kReflect), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(8, 1, 4), 4) == P::matmul);
  ganflow::layers::set_fast_conv(false);
  CHECK(path(torch::nn::Conv2dOptions(8, 1, 4), 4) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1), 8) == P::stock);
  ganflow::layers::set_fast_conv(true);
}
