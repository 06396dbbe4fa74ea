// The fast transposed convolution equals the stock op on each of its paths (matmul, via_conv,
// via_conv with the unfold weight gradient): forward, input, weight and bias gradients, across
// stride, padding, output_padding, dilation and groups, with each ISA's rule.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/layers/conv_transpose.hpp"
#include "layer_vs_stock.hpp"

namespace {
struct ConvTransposeCase {
  int64_t in, out, k, stride, pad, out_pad, groups, dil, h;
  bool bias;
};
}  // namespace

TEST_CASE("fast ConvTranspose2d matches the stock op and its gradients, by each ISA's rule", "[layers]") {
  using P = ganflow::layers::ConvTransposePath;
  using ganflow::layers::ConvIsa;
  // The path below AVX-512; with AVX-512 kernels 1-2 output channels take via_conv.
  std::vector<std::pair<ConvTransposeCase, P>> cases = {
      {{100, 64, 4, 1, 0, 0, 1, 1, 1, false}, P::matmul},  // basic_generator's first layer: 1x1 -> 4x4
      {{16, 8, 3, 2, 0, 0, 1, 1, 1, true}, P::matmul},     // 1x1 input, stride 2, bias
      {{16, 8, 3, 1, 1, 0, 1, 1, 1, false}, P::via_conv},  // 1x1 input with padding: not a plain product
      {{64, 1, 4, 2, 1, 0, 1, 1, 6, false}, P::via_conv_unfold_weight_grad},  // a grey generator's last layer
      {{8, 2, 3, 2, 1, 1, 1, 2, 5, true}, P::via_conv_unfold_weight_grad},    // 2 outputs, dilation, output_padding
      {{32, 3, 4, 2, 1, 0, 1, 1, 20, true}, P::via_conv},   // RGB: a tile and a tail per row (few_channel_transposed_conv)
      {{16, 4, 5, 3, 2, 2, 1, 1, 7, false}, P::via_conv},   // 4 outputs, stride 3, output_padding 2
      {{4, 2, 3, 1, 1, 1, 1, 2, 5, false}, P::stock},   // output_padding >= stride: no convolution behind it
      {{4, 6, 3, 1, 1, 1, 1, 2, 5, false}, P::stock},   // the same with more outputs
      {{4, 2, 3, 2, 1, 0, 2, 1, 5, false}, P::stock},                          // 1 output per group, groups 2
      {{64, 32, 4, 2, 1, 0, 1, 1, 4, false}, P::via_conv},  // a doubling layer
      {{16, 8, 3, 1, 1, 0, 1, 1, 8, true}, P::via_conv},  // an extra layer, with bias
      {{8, 12, 3, 2, 1, 1, 1, 1, 5, true}, P::via_conv},  // output_padding
      {{8, 8, 3, 2, 2, 0, 2, 2, 6, true}, P::via_conv},  // groups and dilation
      {{6, 9, 5, 3, 0, 2, 3, 1, 4, false}, P::via_conv},  // stride 3, output_padding 2, groups 3
  };
  torch::manual_seed(0);
  int checked = 0;
  for (ConvIsa isa : {ConvIsa::avx2_or_less, ConvIsa::avx512}) {
    gantest::ConvIsaScope scope(isa);
    for (auto& [c, avx2_path] : cases) {
      INFO((isa == ConvIsa::avx512 ? "AVX-512" : "AVX2") << ": in " << c.in << " out " << c.out << " k " << c.k << " s "
                                                         << c.stride << " p " << c.pad << " op " << c.out_pad << " g "
                                                         << c.groups << " d " << c.dil);
      const P expected = isa == ConvIsa::avx512 && avx2_path == P::via_conv_unfold_weight_grad ? P::via_conv : avx2_path;
      auto opts = torch::nn::ConvTranspose2dOptions(c.in, c.out, c.k)
                      .stride(c.stride).padding(c.pad).output_padding(c.out_pad).groups(c.groups).dilation(c.dil).bias(c.bias);
      torch::nn::ConvTranspose2d stock(opts);
      ganflow::layers::FastConvTranspose2d fast(opts);
      torch::Tensor x = torch::randn({3, c.in, c.h, c.h});
      CHECK(ganflow::layers::conv_transpose_path(*fast, x) == expected);
      gantest::check_matches_stock(stock, fast, x);
      ++checked;
    }
  }
  CHECK(checked == 2 * int(cases.size()));
}

TEST_CASE("the fast path can be switched off and keeps the module's state-dict names", "[layers]") {
  ganflow::layers::FastConvTranspose2d fast(torch::nn::ConvTranspose2dOptions(4, 2, 3).bias(true));
  auto names = fast->named_parameters().keys();
  CHECK(names == std::vector<std::string>{"weight", "bias"});
  torch::Tensor x = torch::randn({2, 4, 5, 5});
  torch::Tensor stock;
  {
    gantest::FastLayers off(false);
    stock = fast->forward(x);
  }
  CHECK(torch::allclose(stock, fast->forward(x), 1e-4, 1e-5));
}

TEST_CASE("the rule picks the path by shape and ISA, and stock on request or off the CPU's oneDNN", "[layers]") {
  using P = ganflow::layers::ConvTransposePath;
  auto path = [](int64_t out, int64_t groups, int64_t h, int64_t pad) {
    ganflow::layers::FastConvTranspose2d m(
        torch::nn::ConvTranspose2dOptions(4 * groups, out, 4).stride(2).padding(pad).groups(groups).bias(false));
    return ganflow::layers::conv_transpose_path(*m, torch::randn({2, 4 * groups, h, h}));
  };
  CHECK(path(64, 1, 1, 0) == P::matmul);
  CHECK(path(64, 2, 1, 0) == P::via_conv);  // groups: no plain product
  CHECK(path(3, 1, 5, 1) == P::via_conv);
  CHECK(path(64, 1, 5, 1) == P::via_conv);
  {
    gantest::ConvIsaScope avx2(ganflow::layers::ConvIsa::avx2_or_less);
    CHECK(path(1, 1, 5, 1) == P::via_conv_unfold_weight_grad);
    CHECK(path(2, 1, 5, 1) == P::via_conv_unfold_weight_grad);
    CHECK(path(4, 2, 5, 1) == P::stock);  // 2 per group
  }
  {
    gantest::ConvIsaScope avx512(ganflow::layers::ConvIsa::avx512);  // oneDNN's AVX-512 weight gradient is faster
    CHECK(path(1, 1, 5, 1) == P::via_conv);
    CHECK(path(2, 1, 5, 1) == P::via_conv);
    CHECK(path(4, 2, 5, 1) == P::stock);
  }
  {
    gantest::FastLayers off(false);
    CHECK(path(64, 1, 5, 1) == P::stock);
    CHECK(path(64, 1, 1, 0) == P::stock);
  }
  // The module follows the rule: the fast path's autograd node is ganflow's own function.
  ganflow::layers::FastConvTranspose2d m(torch::nn::ConvTranspose2dOptions(4, 8, 4).stride(2).bias(false));
  torch::Tensor y = m->forward(torch::randn({2, 4, 5, 5}, torch::requires_grad()));
  CHECK(y.grad_fn()->name().find("ConvTransposeViaConv") != std::string::npos);
}

TEST_CASE("the unfold weight gradient equals the convolution primitive's on any channel count", "[layers]") {
  using ganflow::layers::WeightGrad;
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({4, 6, 7, 7});
  torch::Tensor w = torch::randn({6, 5, 3, 3}, torch::requires_grad());
  torch::Tensor g = torch::randn({4, 5, 14, 14});
  auto weight_grad = [&](WeightGrad how) {
    torch::Tensor y = ganflow::layers::conv_transpose2d_via_conv(x, w, {}, {2, 2}, {1, 1}, {1, 1}, 1, {1, 1}, how);
    REQUIRE(y.sizes() == g.sizes());
    (y * g).sum().backward();
    torch::Tensor gw = w.grad().clone();
    w.mutable_grad().reset();
    return gw;
  };
  CHECK(torch::allclose(weight_grad(WeightGrad::unfold), weight_grad(WeightGrad::convolution), 1e-4, 1e-3));
}
