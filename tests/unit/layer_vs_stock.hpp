#pragma once
// A fast layer against the stock LibTorch layer it replaces: the same weights, then forward,
// input, weight and bias gradients compared on one random input.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/layers/fast_conv.hpp"

namespace gantest {

// The fast paths' rules follow `isa` until the scope ends (each ISA's paths on any machine).
class ConvIsaScope {
 public:
  explicit ConvIsaScope(ganflow::layers::ConvIsa isa) { ganflow::layers::set_conv_isa(isa); }
  ~ConvIsaScope() { ganflow::layers::set_conv_isa(saved_); }
  ConvIsaScope(const ConvIsaScope&) = delete;
  ConvIsaScope& operator=(const ConvIsaScope&) = delete;

 private:
  ganflow::layers::ConvIsa saved_ = ganflow::layers::conv_isa();
};

// The fast layers (every fast path, the fused BatchNorm + activation included) on or off until
// the scope ends.
class FastLayers {
 public:
  explicit FastLayers(bool on) { ganflow::layers::set_fast_conv(on); }
  ~FastLayers() { ganflow::layers::set_fast_conv(saved_); }
  FastLayers(const FastLayers&) = delete;
  FastLayers& operator=(const FastLayers&) = delete;

 private:
  bool saved_ = ganflow::layers::fast_conv_enabled();
};

template <typename Stock, typename Fast>
void check_matches_stock(Stock& stock, Fast& fast, const torch::Tensor& x) {
  bool bias = stock->bias.defined();
  {
    torch::NoGradGuard ng;
    fast->weight.copy_(stock->weight);
    if (bias) fast->bias.copy_(stock->bias);
  }
  torch::Tensor xs = x.clone().requires_grad_(true), xf = x.clone().requires_grad_(true);
  torch::Tensor ys = stock->forward(xs), yf = fast->forward(xf);
  REQUIRE(ys.sizes() == yf.sizes());
  CHECK(torch::allclose(ys, yf, 1e-4, 1e-5));
  torch::Tensor g = torch::randn_like(ys);
  (ys * g).sum().backward();
  (yf * g).sum().backward();
  CHECK(torch::allclose(xs.grad(), xf.grad(), 1e-4, 1e-4));
  CHECK(torch::allclose(stock->weight.grad(), fast->weight.grad(), 1e-4, 1e-3));
  if (bias) CHECK(torch::allclose(stock->bias.grad(), fast->bias.grad(), 1e-4, 1e-3));
}

}  // namespace gantest
