// FastConv2d equals the stock Conv2d on each of its paths (matmul, unfold weight gradient, few
// input channels, stock): forward, input, weight and bias gradients, and a gradient penalty's;
// the rule picks the path by shape and ISA.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <functional>

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
  // The path below AVX-512, and with AVX-512 kernels.
  struct Expected {
    Conv2dCase c;
    P avx2, avx512;
  };
  std::vector<Expected> cases = {
      {{256, 1, 4, 1, 0, 4, true}, P::matmul, P::matmul},                            // basic_critic's last layer: 4x4 -> 1x1
      {{16, 5, 3, 2, 0, 3, false}, P::matmul, P::matmul},                            // whole input, stride irrelevant
      {{1, 64, 4, 2, 1, 32, true}, P::unfold_weight_grad, P::few_input_channels},    // a grey critic's first layer
      {{2, 8, 3, 1, 1, 9, false}, P::unfold_weight_grad, P::few_input_channels},     // 2 channels, stride 1
      {{1, 6, 5, 3, 2, 11, true}, P::unfold_weight_grad, P::few_input_channels},     // stride 3, padding 2
      {{3, 8, 4, 2, 1, 16, true}, P::stock, P::few_input_channels},                  // RGB
      {{4, 8, 4, 2, 1, 35, false}, P::stock, P::few_input_channels},                 // a row of 2 tiles and a tail
      {{4, 8, 3, 2, 0, 10, false}, P::stock, P::few_input_channels},                 // the last input row unused
      {{5, 8, 4, 2, 1, 16, true}, P::stock, P::stock},                               // past kFewChannels
      {{16, 8, 4, 1, 1, 4, false}, P::stock, P::stock},                              // kernel = input, but padded
  };
  torch::manual_seed(0);
  int checked = 0;
  for (ConvIsa isa : {ConvIsa::avx2_or_less, ConvIsa::avx512}) {
    gantest::ConvIsaScope scope(isa);
    for (auto& [c, avx2_path, avx512_path] : cases) {
      INFO((isa == ConvIsa::avx512 ? "AVX-512" : "AVX2") << ": in " << c.in << " out " << c.out << " k " << c.k
                                                         << " s " << c.stride << " p " << c.pad << " h " << c.h);
      const P expected = isa == ConvIsa::avx512 ? avx512_path : avx2_path;
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

namespace {
// A stock Conv2d and a FastConv2d with the same weights, for a grey critic's first layer.
struct GreyPair {
  ganflow::layers::FastConv2d fast{torch::nn::Conv2dOptions(1, 8, 4).stride(2).padding(1)};
  torch::nn::Conv2d stock{torch::nn::Conv2dOptions(1, 8, 4).stride(2).padding(1)};
  GreyPair() {
    torch::NoGradGuard ng;
    fast->weight.copy_(stock->weight);
    fast->bias.copy_(stock->bias);
  }
};

// Runs `body` on a fresh pair under each ISA's rule, where the fast module takes its own route
// (unfold below AVX-512, few_input_channels with it); returns how many times it ran.
int on_each_isa(const std::function<void(GreyPair&)>& body) {
  using ganflow::layers::ConvIsa;
  int ran = 0;
  for (ConvIsa isa : {ConvIsa::avx2_or_less, ConvIsa::avx512}) {
    gantest::ConvIsaScope scope(isa);
    GreyPair m;
    REQUIRE(ganflow::layers::conv2d_path(*m.fast, torch::randn({1, 1, 8, 8})) != ganflow::layers::Conv2dPath::stock);
    body(m);
    ++ran;
  }
  return ran;
}
}  // namespace

TEST_CASE("FastConv2d gives each gradient alone, as a frozen critic needs", "[layers]") {
  // The generator's step: the critic frozen, only the input gradient flows.
  CHECK(on_each_isa([](GreyPair& m) {
          for (auto* mod : {static_cast<torch::nn::Module*>(m.fast.get()), static_cast<torch::nn::Module*>(m.stock.get())})
            for (auto& p : mod->parameters()) p.requires_grad_(false);
          torch::Tensor x = torch::randn({2, 1, 8, 8});
          torch::Tensor xf = x.clone().requires_grad_(true), xs = x.clone().requires_grad_(true);
          m.fast->forward(xf).sum().backward();
          m.stock->forward(xs).sum().backward();
          CHECK(torch::allclose(xf.grad(), xs.grad(), 1e-4, 1e-5));
          CHECK_FALSE(m.fast->weight.grad().defined());
        }) == 2);
}

TEST_CASE("FastConv2d's few-channel routes give a gradient penalty's gradient as the stock op does", "[layers]") {
  // R1 and WGAN-GP differentiate the input gradient: under create_graph it is oneDNN's, an autograd op.
  CHECK(on_each_isa([](GreyPair& m) {
          torch::Tensor x = torch::randn({3, 1, 10, 10});
          auto penalty = [&](auto& module) {
            torch::Tensor xi = x.clone().requires_grad_(true);
            torch::Tensor y = module->forward(xi);
            torch::Tensor gx = torch::autograd::grad({(y * y).sum()}, {xi}, {}, true, true)[0];
            gx.pow(2).sum().backward();
            return std::make_pair(gx.detach(), module->weight.grad().clone());
          };
          auto [gx_fast, gw_fast] = penalty(m.fast);
          auto [gx_stock, gw_stock] = penalty(m.stock);
          CHECK(torch::allclose(gx_fast, gx_stock, 1e-4, 1e-5));
          CHECK(torch::allclose(gw_fast, gw_stock, 1e-4, 1e-3));
        }) == 2);
}

TEST_CASE("FastConv2d's rule: few channels by ISA and stock off the plain shapes or with the fast paths off", "[layers]") {
  using P = ganflow::layers::Conv2dPath;
  using ganflow::layers::ConvIsa;
  auto path = [](torch::nn::Conv2dOptions o, int64_t h) {
    ganflow::layers::FastConv2d m(o);
    return ganflow::layers::conv2d_path(*m, torch::randn({2, o.in_channels(), h, h}));
  };
  {
    gantest::ConvIsaScope avx512(ConvIsa::avx512);
    CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1), 8) == P::few_input_channels);
    CHECK(path(torch::nn::Conv2dOptions(4, 8, 3).padding(1), 8) == P::few_input_channels);
    CHECK(path(torch::nn::Conv2dOptions(5, 8, 3).padding(1), 8) == P::stock);
    CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1).dilation(2), 8) == P::stock);
    CHECK(path(torch::nn::Conv2dOptions(8, 1, 4), 4) == P::matmul);
  }
  gantest::ConvIsaScope avx2(ConvIsa::avx2_or_less);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1), 8) == P::unfold_weight_grad);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1).dilation(2), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(2, 8, 3).padding(1).groups(2), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(torch::kSame), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1).padding_mode(torch::kReflect), 8) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(8, 1, 4), 4) == P::matmul);
  gantest::FastLayers off(false);
  CHECK(path(torch::nn::Conv2dOptions(8, 1, 4), 4) == P::stock);
  CHECK(path(torch::nn::Conv2dOptions(1, 8, 3).padding(1), 8) == P::stock);
}
