// The fast transposed convolution equals the stock op: forward, input, weight and bias
// gradients, across stride, padding, output_padding, dilation and groups.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/layers/conv_transpose.hpp"

namespace {
struct Case {
  int64_t in, out, k, stride, pad, out_pad, groups, dil, h;
  bool bias;
};
}  // namespace

TEST_CASE("fast ConvTranspose2d matches the stock op and its gradients", "[layers]") {
  std::vector<Case> cases = {
      {100, 64, 4, 1, 0, 0, 1, 1, 1, false},  // basic_generator's first layer: 1x1 -> 4x4
      {64, 32, 4, 2, 1, 0, 1, 1, 4, false},   // a doubling layer
      {16, 8, 3, 1, 1, 0, 1, 1, 8, true},     // an extra layer, with bias
      {8, 12, 3, 2, 1, 1, 1, 1, 5, true},     // output_padding
      {8, 8, 3, 2, 2, 0, 2, 2, 6, true},      // groups and dilation
      {6, 9, 5, 3, 0, 2, 3, 1, 4, false},     // stride 3, output_padding 2, groups 3
  };
  torch::manual_seed(0);
  for (auto& c : cases) {
    INFO("in " << c.in << " out " << c.out << " k " << c.k << " s " << c.stride << " p " << c.pad << " op "
               << c.out_pad << " g " << c.groups << " d " << c.dil);
    auto opts = torch::nn::ConvTranspose2dOptions(c.in, c.out, c.k)
                    .stride(c.stride).padding(c.pad).output_padding(c.out_pad).groups(c.groups).dilation(c.dil).bias(c.bias);
    torch::nn::ConvTranspose2d stock(opts);
    ganflow::layers::FastConvTranspose2d fast(opts);
    {
      torch::NoGradGuard ng;
      fast->weight.copy_(stock->weight);
      if (c.bias) fast->bias.copy_(stock->bias);
    }
    torch::Tensor x = torch::randn({3, c.in, c.h, c.h});
    torch::Tensor xs = x.clone().requires_grad_(true), xf = x.clone().requires_grad_(true);
    torch::Tensor ys = stock->forward(xs), yf = fast->forward(xf);
    REQUIRE(ys.sizes() == yf.sizes());
    CHECK(torch::allclose(ys, yf, 1e-4, 1e-5));
    torch::Tensor g = torch::randn_like(ys);
    (ys * g).sum().backward();
    (yf * g).sum().backward();
    CHECK(torch::allclose(xs.grad(), xf.grad(), 1e-4, 1e-4));
    CHECK(torch::allclose(stock->weight.grad(), fast->weight.grad(), 1e-4, 1e-3));
    if (c.bias) CHECK(torch::allclose(stock->bias.grad(), fast->bias.grad(), 1e-4, 1e-3));
  }
}

TEST_CASE("the fast path can be switched off and keeps the module's state-dict names", "[layers]") {
  ganflow::layers::FastConvTranspose2d fast(torch::nn::ConvTranspose2dOptions(4, 2, 3).bias(true));
  auto names = fast->named_parameters().keys();
  CHECK(names == std::vector<std::string>{"weight", "bias"});
  ganflow::layers::set_fast_conv_transpose(false);
  torch::Tensor x = torch::randn({2, 4, 5, 5});
  torch::Tensor stock = fast->forward(x);
  ganflow::layers::set_fast_conv_transpose(true);
  CHECK(torch::allclose(stock, fast->forward(x), 1e-4, 1e-5));
}

TEST_CASE("the rule: the stock op for 1 or 2 output channels per group, the fast path from 3", "[layers]") {
  // Which path ran shows in the autograd node: the fast path is ganflow's own function.
  auto path = [](int64_t out, int64_t groups) {
    ganflow::layers::FastConvTranspose2d m(torch::nn::ConvTranspose2dOptions(4 * groups, out, 4).stride(2).groups(groups).bias(false));
    torch::Tensor y = m->forward(torch::randn({2, 4 * groups, 5, 5}, torch::requires_grad()));
    return y.grad_fn()->name().find("ConvTransposeViaConv") != std::string::npos ? "fast" : "stock";
  };
  CHECK(std::string(path(1, 1)) == "stock");
  CHECK(std::string(path(2, 1)) == "stock");
  CHECK(std::string(path(4, 2)) == "stock");  // 2 per group
  CHECK(std::string(path(3, 1)) == "fast");
  CHECK(std::string(path(64, 1)) == "fast");
}
