// basic_generator / basic_critic: spec §6 layer lists, shapes, init rules and param errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/model.hpp"
#include "test_support.hpp"

using namespace ganflow;
using namespace ganflow::test;

namespace {
std::map<std::string, std::vector<int64_t>> param_shapes(Model& m) {
  std::map<std::string, std::vector<int64_t>> out;
  for (auto& p : m.module().named_parameters()) out[p.key()] = p.value().sizes().vec();
  return out;
}
torch::Tensor param(Model& m, const std::string& key) { return m.module().named_parameters()[key]; }
using Shapes = std::map<std::string, std::vector<int64_t>>;
}  // namespace

TEST_CASE("basic_generator has the lesson's layer list (size 64, one extra layer)", "[models]") {
  auto v1 = build_one<SequentialModel>("basic_generator",
                                       R"({"out_size": 64, "n_channels": 3, "n_extra_layers": 1, "block_order": "v1"})");
  CHECK(v1->sequential()->size() == 7);  // v1 indices 0..6
  Shapes want1 = {{"0.0.weight", {100, 512, 4, 4}}, {"0.2.weight", {512}}, {"0.2.bias", {512}},
                  {"1.0.weight", {512, 256, 4, 4}}, {"1.2.weight", {256}}, {"1.2.bias", {256}},
                  {"2.0.weight", {256, 128, 4, 4}}, {"2.2.weight", {128}}, {"2.2.bias", {128}},
                  {"3.0.weight", {128, 64, 4, 4}},  {"3.2.weight", {64}},  {"3.2.bias", {64}},
                  {"4.0.weight", {64, 64, 3, 3}},   {"4.2.weight", {64}},  {"4.2.bias", {64}},
                  {"5.weight", {64, 3, 4, 4}}};
  CHECK(param_shapes(*v1) == want1);

  auto v2 = build_one<SequentialModel>("basic_generator",
                                       R"({"out_size": 64, "n_channels": 3, "n_extra_layers": 1, "block_order": "v2"})");
  CHECK(v2->sequential()->size() == 8);  // v2: AddChannels first, 0..7
  CHECK(param_shapes(*v2).at("1.0.weight") == std::vector<int64_t>{100, 512, 4, 4});
  CHECK(param_shapes(*v2).at("1.1.weight") == std::vector<int64_t>{512});  // BN right after the conv
  CHECK(param_shapes(*v2).at("6.weight") == std::vector<int64_t>{64, 3, 4, 4});

  v2->module().eval();
  torch::NoGradGuard no_grad;
  auto img = v2->forward(torch::randn({2, 100, 1, 1}));
  CHECK(img.sizes() == torch::IntArrayRef({2, 3, 64, 64}));
  CHECK(img.abs().max().item<double>() <= 1.0);
}

TEST_CASE("basic_generator takes [bs, nz] and [bs, nz, 1, 1] noise alike, in both orders", "[models]") {
  for (std::string order : {"v1", "v2"}) {
    auto g = build_one<Model>("basic_generator", R"({"out_size": 8, "noise_sz": 10, "n_features": 4, "block_order": ")" + order + "\"}");
    g->module().eval();
    torch::NoGradGuard no_grad;
    auto z = torch::randn({3, 10});
    auto a = g->forward(z), b = g->forward(z.view({3, 10, 1, 1}));
    CHECK(a.sizes() == torch::IntArrayRef({3, 1, 8, 8}));
    CHECK(torch::equal(a, b));
    CHECK_THROWS_WITH(g->forward(torch::randn({3, 11})), Catch::Contains("expected noise [bs, 10, 1, 1]"));
  }
}

TEST_CASE("basic_critic has the lesson's layer list and both output reductions", "[models]") {
  auto v1 = build_one<SequentialModel>("basic_critic",
                                       R"({"in_size": 64, "n_channels": 3, "n_extra_layers": 1, "block_order": "v1", "output": "batch_mean"})");
  Shapes want1 = {{"0.0.weight", {64, 3, 4, 4}},     {"0.0.bias", {64}},  // first layer: bias, no BN
                  {"1.0.0.weight", {64, 64, 3, 3}},  {"1.0.2.weight", {64}}, {"1.0.2.bias", {64}},  // v1 nests extras
                  {"2.0.weight", {128, 64, 4, 4}},   {"2.2.weight", {128}},  {"2.2.bias", {128}},
                  {"3.0.weight", {256, 128, 4, 4}},  {"3.2.weight", {256}},  {"3.2.bias", {256}},
                  {"4.0.weight", {512, 256, 4, 4}},  {"4.2.weight", {512}},  {"4.2.bias", {512}},
                  {"5.weight", {1, 512, 4, 4}}};  // v1 conv2d: no bias
  CHECK(param_shapes(*v1) == want1);
  auto x = torch::randn({5, 3, 64, 64});
  CHECK(v1->forward(x).sizes() == torch::IntArrayRef({1}));

  auto v2 = build_one<SequentialModel>("basic_critic", R"({"in_size": 64, "n_channels": 3, "n_extra_layers": 1})");
  auto s2 = param_shapes(*v2);
  CHECK(s2.at("1.0.weight") == std::vector<int64_t>{64, 64, 3, 3});  // v2 appends extras flat
  CHECK(s2.at("5.bias") == std::vector<int64_t>{1});                  // v2 nn.Conv2d keeps its bias
  CHECK(v2->forward(x).sizes() == torch::IntArrayRef({5, 1}));
  CHECK_THROWS_WITH(v2->forward(torch::randn({5, 3, 32, 32})), Catch::Contains("expected images [bs, 3, 64, 64]"));
}

TEST_CASE("init follows fastai v1 for the v1 order and fastai v2 for the v2 order", "[models]") {
  torch::manual_seed(3);
  auto c1 = build_one<Model>("basic_critic", R"({"in_size": 32, "n_features": 64, "block_order": "v1"})");
  auto c2 = build_one<Model>("basic_critic", R"({"in_size": 32, "n_features": 64, "block_order": "v2"})");
  // First conv bias: zero in v1, N(0, 0.01) in v2.
  CHECK(param(*c1, "0.0.bias").abs().max().item<double>() == 0.0);
  double s = param(*c2, "0.0.bias").std().item<double>();
  CHECK(s > 0.005);
  CHECK(s < 0.02);
  // BN bias: 0 in v1 (block index 2, after the act), 1e-3 in v2 (index 1); weights 1. v1's layer 1
  // is the (empty) extra-layer slot, so its first downsampling block is layer 2.
  CHECK(param(*c1, "2.2.bias").abs().max().item<double>() == 0.0);
  CHECK(torch::allclose(param(*c2, "1.1.bias"), torch::full({128}, 1e-3)));
  CHECK(torch::allclose(param(*c2, "1.1.weight"), torch::ones({128})));
  // Conv weights 128x64x4x4: kaiming std sqrt(2 / fan_in); v1 normal, v2 uniform within sqrt(6 / fan_in).
  const double fan_in = 64 * 16, std = std::sqrt(2 / fan_in), bound = std::sqrt(6 / fan_in);
  auto w1 = param(*c1, "2.0.weight"), w2 = param(*c2, "1.0.weight");
  CHECK(w1.std().item<double>() == Approx(std).epsilon(0.05));
  CHECK(w2.std().item<double>() == Approx(std).epsilon(0.05));
  CHECK(w1.abs().max().item<double>() > bound);
  CHECK(w2.abs().max().item<double>() <= bound * (1 + 1e-6));  // float32 rounding of the bound
  // Output conv: kaiming_normal_ and bias zeroed (v2) / absent (v1).
  CHECK(param(*c2, "3.bias").item<double>() == 0.0);
  CHECK(c1->module().named_parameters().find("4.bias") == nullptr);
  // Generator: transposed blocks have no bias; the output ConvTranspose has none either.
  auto g = build_one<Model>("basic_generator", R"({"out_size": 16})");
  for (const char* key : {"1.0.bias", "2.0.bias", "3.bias"}) CHECK(g->module().named_parameters().find(key) == nullptr);
  CHECK(g->module().named_parameters().find("3.weight") != nullptr);
}

TEST_CASE("bad model params are one-line errors naming node and param", "[models]") {
  auto e = build_error(R"({"g": {"type": "basic_generator", "params": {"out_size": 48}}})");
  CHECK(e == "node 'g' param 'out_size': must be a power of two >= 8, got 48");
  e = build_error(R"({"c": {"type": "basic_critic", "params": {"in_size": 100}}})");
  CHECK(e == "node 'c' param 'in_size': must be a power of two >= 8, got 100");
  CHECK_THAT(build_error(R"({"c": {"type": "basic_critic", "params": {"in_size": 4}}})"),
             Catch::Contains("/nodes/c/params/in_size"));
  CHECK_THAT(build_error(R"({"c": {"type": "basic_critic", "params": {"block_order": "v3"}}})"),
             Catch::Contains("block_order"));
  CHECK_THAT(build_error(R"({"c": {"type": "basic_critic", "params": {"output": "mean"}}})"),
             Catch::Contains("output"));
}
