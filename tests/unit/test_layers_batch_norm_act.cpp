// The fused BatchNorm + activation that SequentialBlock runs (sdk/src/layers/batch_norm_act.cpp):
// it computes what the two stock layers compute, forward, backward, running statistics and a
// gradient penalty's second derivative, and steps aside where it does not apply.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>

#include "ganflow/layers/batch_norm.hpp"
#include "ganflow/layers/fast_conv.hpp"
#include "ganflow/layers/sequential_block.hpp"
#include "layer_vs_stock.hpp"
#include "test_support.hpp"

using ganflow::layers::SequentialBlock;
using ganflow::layers::SyncableBatchNorm2d;

namespace {
using gantest::FastLayers;

// [BatchNorm, act] or [act, BatchNorm] on `c` channels, with non-trivial affine parameters and
// running statistics.
SequentialBlock norm_act_block(int64_t c, double slope, bool act_first) {
  SyncableBatchNorm2d bn(c);
  {
    torch::NoGradGuard ng;
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.5, 0.5);
    bn->running_mean.uniform_(-1, 1);
    bn->running_var.uniform_(0.5, 2);
  }
  torch::nn::AnyModule act = slope == 0.0 ? torch::nn::AnyModule(torch::nn::ReLU())
                                          : torch::nn::AnyModule(torch::nn::LeakyReLU(
                                                torch::nn::LeakyReLUOptions().negative_slope(slope)));
  SequentialBlock block;
  if (act_first) block->push_back(act);
  block->push_back(bn);
  if (!act_first) block->push_back(act);
  return block;
}

// A second block like `b` with b's parameters and buffers.
SequentialBlock copy_of(const SequentialBlock& b, double slope, bool act_first) {
  SequentialBlock copy = norm_act_block(b->ptr(act_first ? 1 : 0)->as<SyncableBatchNorm2d>()->num_features, slope, act_first);
  ganflow::load_state_dict(*copy, ganflow::state_dict(*b), "copy");
  return copy;
}

struct Pass {
  torch::Tensor y, dx, dw, db;
  std::map<std::string, torch::Tensor> state;  // buffers after the pass
  bool fused = false;
};

// One training forward of `x` and the backward of (y * w).sum(); `bn` is the BatchNorm's index.
Pass run(SequentialBlock& block, const torch::Tensor& x, const torch::Tensor& w, const std::string& bn) {
  Pass p;
  torch::Tensor xg = x.clone().requires_grad_(true);
  p.y = block->forward(xg);
  p.fused = ganflow::test::graph_node_count(p.y, "BatchNormAct") == 1;
  (p.y * w).sum().backward();
  auto params = block->named_parameters();
  p.dx = xg.grad();
  p.dw = params[bn + ".weight"].grad();
  p.db = params[bn + ".bias"].grad();
  for (auto& b : block->named_buffers()) p.state[b.key()] = b.value().clone();
  return p;
}
}  // namespace

TEST_CASE("A training BatchNorm and its activation run fused and compute what the stock layers compute", "[layers]") {
  torch::manual_seed(3);
  int checked = 0;
  for (bool act_first : {true, false})
    for (double slope : {0.0, 0.2})
      for (auto shape : {std::vector<int64_t>{8, 16, 5, 5}, {6, 4, 8, 8}, {64, 3, 1, 1}}) {
        INFO((act_first ? "act -> BN" : "BN -> act") << ", slope " << slope << ", shape " << shape);
        torch::Tensor x = torch::randn(shape) * 3 + 2;  // off-centre: the statistics' shift matters
        torch::Tensor w = torch::randn(shape);
        SequentialBlock fused = norm_act_block(shape[1], slope, act_first), stock = copy_of(fused, slope, act_first);
        Pass f, s;
        {
          FastLayers on(true);
          f = run(fused, x, w, act_first ? "1" : "0");
        }
        {
          FastLayers off(false);
          s = run(stock, x, w, act_first ? "1" : "0");
        }
        CHECK(f.fused);
        CHECK_FALSE(s.fused);
        CHECK(torch::allclose(f.y, s.y, 1e-5, 1e-5));
        CHECK(torch::allclose(f.dx, s.dx, 1e-4, 1e-5));
        CHECK(torch::allclose(f.dw, s.dw, 1e-4, 1e-4));
        CHECK(torch::allclose(f.db, s.db, 1e-4, 1e-4));
        for (const auto& [key, value] : s.state) {
          INFO(key);
          REQUIRE(f.state.count(key));
          CHECK(torch::allclose(f.state.at(key), value, 1e-5, 1e-6));
        }
        ++checked;
      }
  CHECK(checked == 12);
}

TEST_CASE("In bf16 the fused BatchNorm and activation compute in float and round the output once", "[layers]") {
  // CPU autocast hands the block bf16 activations: the reference is the stock layers in float on
  // the same bf16 values. Rounding once puts y and dx within half a bf16 unit of it (at most 2^-8
  // of the value); the parameter gradients and running statistics stay float.
  torch::manual_seed(6);
  const auto bf16 = torch::kBFloat16;
  int checked = 0;
  for (bool act_first : {true, false})
    for (auto shape : {std::vector<int64_t>{8, 16, 5, 5}, {4, 8, 16, 16}}) {
      INFO((act_first ? "act -> BN" : "BN -> act") << ", shape " << shape);
      torch::Tensor x = (torch::randn(shape) * 3 + 2).to(bf16), w = torch::randn(shape).to(bf16);
      SequentialBlock fused = norm_act_block(shape[1], 0.2, act_first), stock = copy_of(fused, 0.2, act_first);
      Pass f, s;
      {
        FastLayers on(true);
        f = run(fused, x, w, act_first ? "1" : "0");
      }
      {
        FastLayers off(false);
        s = run(stock, x.to(torch::kFloat), w.to(torch::kFloat), act_first ? "1" : "0");
      }
      CHECK(f.fused);
      REQUIRE(f.y.scalar_type() == bf16);
      REQUIRE(f.dx.scalar_type() == bf16);
      REQUIRE(f.dw.scalar_type() == torch::kFloat);
      auto within_rounding = [](const torch::Tensor& rounded, const torch::Tensor& exact) {
        const torch::Tensor error = (rounded.to(torch::kFloat) - exact).abs();
        const double noise = 1e-5 * exact.abs().max().item<double>();  // float summation order
        return (error <= exact.abs() * std::ldexp(1.0, -8) + noise).all().item<bool>();
      };
      CHECK(within_rounding(f.y, s.y));
      CHECK(within_rounding(f.dx, s.dx));
      CHECK(torch::allclose(f.dw, s.dw, 1e-4, 1e-4));
      CHECK(torch::allclose(f.db, s.db, 1e-4, 1e-4));
      for (const auto& [key, value] : s.state) {
        INFO(key);
        REQUIRE(f.state.count(key));
        CHECK(torch::allclose(f.state.at(key), value, 1e-5, 1e-6));
      }
      ++checked;
    }
  CHECK(checked == 4);
}

TEST_CASE("The fused BatchNorm and activation give a gradient penalty's second derivative", "[layers]") {
  // R1 and WGAN-GP differentiate the critic's input gradient: the fused op's backward must
  // itself be differentiable under create_graph, in float and in bf16 (against the stock layers
  // on the same bf16 input, so within bf16's rounding there).
  torch::manual_seed(4);
  int checked = 0;
  for (auto dtype : {torch::kFloat, torch::kBFloat16})
    for (bool act_first : {true, false}) {
      INFO((act_first ? "act -> BN" : "BN -> act") << ", " << dtype);
      const double tolerance = dtype == torch::kFloat ? 1e-4 : 3e-2;
      SequentialBlock fused = norm_act_block(5, 0.2, act_first), stock = copy_of(fused, 0.2, act_first);
      torch::Tensor x = torch::randn({6, 5, 4, 4}).to(dtype), w = torch::randn({6, 5, 4, 4}).to(dtype);
      std::vector<std::pair<torch::Tensor, torch::Tensor>> results;  // (penalty, its weight gradient)
      for (auto* block : {&fused, &stock}) {
        FastLayers fast(block == &fused);
        torch::Tensor xg = x.clone().requires_grad_(true);
        torch::Tensor y = (*block)->forward(xg);
        CHECK(ganflow::test::graph_node_count(y, "BatchNormAct") == (block == &fused ? 1 : 0));
        torch::Tensor g = torch::autograd::grad({(y * w).sum()}, {xg}, {}, true, true)[0];
        torch::Tensor penalty = g.to(torch::kFloat).square().sum();
        penalty.backward();
        results.emplace_back(penalty.detach(), (*block)->named_parameters()[act_first ? "1.weight" : "0.weight"].grad());
      }
      CHECK(torch::allclose(results[0].first, results[1].first, tolerance, 1e-5));
      REQUIRE(results[0].second.defined());
      CHECK(results[0].second.abs().sum().item<double>() > 0);
      CHECK(torch::allclose(results[0].second, results[1].second, 10 * tolerance,
                            tolerance * results[1].second.abs().max().item<double>()));
      ++checked;
    }
  CHECK(checked == 4);
}

TEST_CASE("The BatchNorm and activation run unfused where the fused op does not apply", "[layers]") {
  torch::manual_seed(5);
  FastLayers on(true);
  SequentialBlock block = norm_act_block(4, 0.2, false);
  torch::Tensor x = torch::randn({3, 4, 6, 6}, torch::requires_grad());
  CHECK(ganflow::test::graph_node_count(block->forward(x), "BatchNormAct") == 1);  // the control
  SECTION("eval mode") {
    block->eval();
    CHECK(ganflow::test::graph_node_count(block->forward(x), "BatchNormAct") == 0);
  }
  SECTION("channels-last input") {
    torch::Tensor cl = x.detach().contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
    CHECK(ganflow::test::graph_node_count(block->forward(cl), "BatchNormAct") == 0);
  }
  SECTION("double precision") {
    block->to(torch::kDouble);
    CHECK(ganflow::test::graph_node_count(block->forward(x.to(torch::kDouble)), "BatchNormAct") == 0);
  }
  SECTION("statistics synchronised across ranks") {
    ganflow::layers::set_batch_norm_rank_sum([](torch::Tensor&) {});
    torch::Tensor y = block->forward(x);
    ganflow::layers::set_batch_norm_rank_sum({});
    CHECK(ganflow::test::graph_node_count(y, "BatchNormAct") == 0);
  }
  SECTION("one value per channel: the stock error") {
    CHECK_THROWS_WITH(block->forward(torch::randn({1, 4, 1, 1})), Catch::Contains("more than 1 value per channel"));
  }
}
