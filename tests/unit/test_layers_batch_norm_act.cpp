// The fused BatchNorm + activation that SequentialBlock runs (sdk/src/layers/batch_norm_act.cpp):
// it computes what the two stock layers compute, forward, backward, running statistics and a
// gradient penalty's second derivative, and steps aside where it does not apply.
#include <catch2/catch.hpp>
#include <torch/torch.h>

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

TEST_CASE("The fused BatchNorm and activation give a gradient penalty's second derivative", "[layers]") {
  // R1 and WGAN-GP differentiate the critic's input gradient: the fused op's backward must
  // itself be differentiable under create_graph.
  torch::manual_seed(4);
  int checked = 0;
  for (bool act_first : {true, false}) {
    INFO((act_first ? "act -> BN" : "BN -> act"));
    SequentialBlock fused = norm_act_block(5, 0.2, act_first), stock = copy_of(fused, 0.2, act_first);
    torch::Tensor x = torch::randn({6, 5, 4, 4}), w = torch::randn({6, 5, 4, 4});
    std::vector<std::pair<torch::Tensor, torch::Tensor>> results;  // (penalty, its weight gradient)
    for (auto* block : {&fused, &stock}) {
      FastLayers fast(block == &fused);
      torch::Tensor xg = x.clone().requires_grad_(true);
      torch::Tensor y = (*block)->forward(xg);
      CHECK(ganflow::test::graph_node_count(y, "BatchNormAct") == (block == &fused ? 1 : 0));
      torch::Tensor g = torch::autograd::grad({(y * w).sum()}, {xg}, {}, true, true)[0];
      torch::Tensor penalty = g.square().sum();
      penalty.backward();
      results.emplace_back(penalty.detach(), (*block)->named_parameters()[act_first ? "1.weight" : "0.weight"].grad());
    }
    CHECK(torch::allclose(results[0].first, results[1].first, 1e-4, 1e-5));
    REQUIRE(results[0].second.defined());
    CHECK(results[0].second.abs().sum().item<double>() > 0);
    CHECK(torch::allclose(results[0].second, results[1].second, 1e-3, 1e-4));
    ++checked;
  }
  CHECK(checked == 2);
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
  SECTION("channels-last input (the stock NHWC BatchNorm is as fast: bench/BENCHMARKS.md)") {
    torch::Tensor cl = x.detach().contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
    CHECK(ganflow::test::graph_node_count(block->forward(cl), "BatchNormAct") == 0);
  }
  SECTION("double precision") {
    block->to(torch::kDouble);
    CHECK(ganflow::test::graph_node_count(block->forward(x.to(torch::kDouble)), "BatchNormAct") == 0);
  }
  SECTION("bf16 activations (CPU autocast): the stock bf16 layers are faster, bench/BENCHMARKS.md") {
    CHECK(ganflow::test::graph_node_count(block->forward(x.to(torch::kBFloat16)), "BatchNormAct") == 0);
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
