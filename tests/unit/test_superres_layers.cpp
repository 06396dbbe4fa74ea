// Spectral norm, SelfAttention and gan_critic against PyTorch (tests/python/check_superres_layers.py):
// the same state (weights and the power iteration's u, v), a training forward (u, v updated once),
// gradients, and an eval forward that reuses the stored u, v.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/layers/dense_res_block.hpp"
#include "ganflow/layers/self_attention.hpp"
#include "ganflow/layers/spectral_norm.hpp"
#include "ganflow/model.hpp"
#include "test_support.hpp"

using namespace ganflow;
using namespace ganflow::test;

namespace {
using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

void check_against_pytorch(torch::nn::Module& m, const Forward& forward, const std::string& py_config,
                           const torch::Tensor& x) {
  auto t = record_train_then_eval(m, forward, x);
  for (auto& b : m.named_buffers()) t["eval_after." + b.key()] = b.value().clone();
  std::string file = scratch_dir("superres_layers") + "/tensors.pt";
  save_tensors(file, t);
  auto r = run_python("check_superres_layers.py", {file, py_config});
  INFO(py_config << "\n" << r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("OK"));
}
}  // namespace

TEST_CASE("spectral_norm equals torch.nn.utils.spectral_norm", "[superres][pytorch]") {
  torch::manual_seed(3);
  SECTION("Conv2d with bias, stride 2, padding 1") {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(4, 6, 3).stride(2).padding(1));
    layers::SpectralNormConv sn(conv);
    check_against_pytorch(*sn, [&](const torch::Tensor& x) { return sn(x); },
                          R"({"layer": "spectral_conv", "dims": 2, "ni": 4, "nf": 6, "ks": 3, "stride": 2, "padding": 1})",
                          torch::randn({2, 4, 7, 7}));
  }
  SECTION("Conv1d without bias (SelfAttention's query/key/value)") {
    torch::nn::Conv1d conv(torch::nn::Conv1dOptions(16, 2, 1).bias(false));
    layers::SpectralNormConv sn(conv);
    check_against_pytorch(*sn, [&](const torch::Tensor& x) { return sn(x); },
                          R"({"layer": "spectral_conv", "dims": 1, "ni": 16, "nf": 2, "ks": 1, "bias": false})",
                          torch::randn({3, 16, 10}));
  }
}

TEST_CASE("spectral_norm: state, u/v update only in training, sigma normalises", "[superres]") {
  torch::manual_seed(5);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 5, 3));
  torch::Tensor w0 = conv->weight.detach().clone();
  layers::SpectralNormConv sn(conv);
  auto keys = sn->named_parameters().keys();
  CHECK(std::set<std::string>(keys.begin(), keys.end()) == std::set<std::string>{"weight_orig", "bias"});
  auto bkeys = sn->named_buffers().keys();
  CHECK(std::set<std::string>(bkeys.begin(), bkeys.end()) == std::set<std::string>{"weight_u", "weight_v"});
  CHECK(torch::equal(sn->weight_orig, w0));
  CHECK(sn->weight_u.norm().item<double>() == Approx(1.0));
  torch::Tensor x = torch::randn({1, 3, 6, 6});
  sn->eval();
  torch::Tensor u0 = sn->weight_u.clone();
  sn(x);
  CHECK(torch::equal(sn->weight_u, u0));  // eval: no power iteration
  sn->train();
  for (int i = 0; i < 50; ++i) sn(x);
  CHECK_FALSE(torch::equal(sn->weight_u, u0));
  // After many iterations sigma converges to the largest singular value: the normalised weight has norm 1.
  torch::Tensor wn = sn->normalized_weight(false).reshape({5, -1});
  CHECK(torch::linalg_matrix_norm(wn, 2).item<double>() == Approx(1.0).epsilon(1e-3));
}

TEST_CASE("SelfAttention equals fastai's layer in PyTorch", "[superres][pytorch]") {
  torch::manual_seed(7);
  layers::SelfAttention sa(16);
  {
    torch::NoGradGuard ng;
    sa->gamma.fill_(0.7);  // gamma starts at 0 (identity); a non-zero value exercises the attention
  }
  check_against_pytorch(*sa, [&](const torch::Tensor& x) { return sa(x); }, R"({"layer": "SelfAttention", "n_channels": 16})",
                        torch::randn({2, 16, 5, 4}));
}

TEST_CASE("SelfAttention is the identity at init and needs 8 channels", "[superres]") {
  torch::manual_seed(8);
  layers::SelfAttention sa(32);
  CHECK(sa->gamma.item<float>() == 0.0f);
  CHECK(sa->query->weight_orig.sizes() == torch::IntArrayRef({4, 32, 1}));
  CHECK(sa->value->weight_orig.sizes() == torch::IntArrayRef({32, 32, 1}));
  torch::Tensor x = torch::randn({2, 32, 3, 3});
  CHECK(torch::equal(sa(x), x));
  CHECK_THROWS_AS(layers::SelfAttention(4), Error);
}

TEST_CASE("DenseResBlock concatenates its input: nf -> 2 nf channels", "[superres]") {
  layers::DenseResBlock block(8);
  torch::Tensor x = torch::randn({2, 8, 6, 6});
  torch::Tensor y = block(x);
  CHECK(y.sizes() == torch::IntArrayRef({2, 16, 6, 6}));
  CHECK(torch::equal(y.slice(1, 8, 16), x));
}

TEST_CASE("gan_critic equals fastai v1 gan_critic in PyTorch (p = 0)", "[superres][pytorch]") {
  torch::manual_seed(9);
  auto critic = build_one<Model>("gan_critic", R"({"n_channels": 3, "nf": 8, "n_blocks": 2, "p": 0.0})");
  check_against_pytorch(critic->module(), [&](const torch::Tensor& x) { return critic->forward(x); },
                        R"({"layer": "gan_critic", "n_channels": 3, "nf": 8, "n_blocks": 2, "p": 0.0})",
                        torch::randn({2, 3, 32, 32}));
}

TEST_CASE("gan_critic patch output shapes", "[superres]") {
  torch::NoGradGuard ng;
  SECTION("defaults: [bs, 25] at 128 px, [bs, 81] at 192 px") {
    auto critic = build_one<Model>("gan_critic", R"({"nf": 16})");  // nf only scales channels
    critic->module().eval();
    CHECK(critic->forward(torch::randn({2, 3, 128, 128})).sizes() == torch::IntArrayRef({2, 25}));
    CHECK(critic->forward(torch::randn({1, 3, 192, 192})).sizes() == torch::IntArrayRef({1, 81}));
  }
  SECTION("the spec's layer list: default nf 128 has about 44.7 M parameters") {
    auto critic = build_one<Model>("gan_critic");
    int64_t n = 0;
    for (auto& p : critic->module().parameters()) n += p.numel();
    CHECK(n > 44'000'000);
    CHECK(n < 45'500'000);
  }
  SECTION("the Fashion-MNIST graph's critic: 1 channel, 32 px, n_blocks 1 -> 25 patches") {
    auto critic = build_one<Model>("gan_critic", R"({"n_channels": 1, "nf": 16, "n_blocks": 1})");
    CHECK(critic->forward(torch::randn({4, 1, 32, 32})).sizes() == torch::IntArrayRef({4, 25}));
  }
  SECTION("too small an image or wrong channels: an error naming the problem") {
    auto critic = build_one<Model>("gan_critic", R"({"nf": 8, "n_blocks": 3})");
    CHECK_THROWS_WITH(critic->forward(torch::randn({1, 3, 32, 32})), Catch::Contains("too small for n_blocks 3"));
    CHECK_THROWS_WITH(critic->forward(torch::randn({1, 1, 128, 128})), Catch::Contains("expected images [bs, 3"));
  }
}

TEST_CASE("unet_generator: shapes, y_range, upsampling variants, bad params", "[superres]") {
  torch::NoGradGuard ng;
  for (const char* up : {"pixel_shuffle", "transpose"}) {
    auto gen = build_one<Model>("unet_generator", std::string(R"({"n_channels": 1, "nf": 8, "n_down": 2, "y_range": [-1.0, 1.0], "upsample": ")") + up + "\"}");
    torch::Tensor y = gen->forward(torch::randn({2, 1, 16, 24}));
    INFO(up);
    CHECK(y.sizes() == torch::IntArrayRef({2, 1, 16, 24}));
    CHECK(y.min().item<float>() >= -1.0f);
    CHECK(y.max().item<float>() <= 1.0f);
  }
  auto gen = build_one<Model>("unet_generator", R"({"n_channels": 3, "out_channels": 1, "nf": 8, "n_down": 3, "blur": false, "self_attention": false})");
  CHECK(gen->forward(torch::randn({1, 3, 16, 16})).sizes() == torch::IntArrayRef({1, 1, 16, 16}));
  CHECK_THROWS_WITH(gen->forward(torch::randn({1, 3, 20, 16})), Catch::Contains("multiples of 8"));
  CHECK_THAT(build_error(R"({"g": {"type": "unet_generator", "params": {"y_range": [1.0, -1.0]}}})"),
             Catch::Contains("y_range"));
  CHECK_THAT(build_error(R"({"g": {"type": "unet_generator", "params": {"encoder_weights": "/nonexistent.pt"}}})"),
             Catch::Contains("encoder_weights"));
}

TEST_CASE("unet_generator loads a pretrained encoder from a state dict", "[superres]") {
  auto donor = build_one<Model>("unet_generator", R"({"n_channels": 1, "nf": 8, "n_down": 2})");
  std::map<std::string, torch::Tensor> enc;
  for (auto& p : donor->module().named_parameters())
    if (p.key().rfind("encoder.", 0) == 0) enc[p.key()] = p.value().detach().clone().fill_(0.25);
  REQUIRE(!enc.empty());
  std::string file = scratch_dir("unet_encoder") + "/encoder.pt";
  save_tensors(file, enc);
  auto gen = build_one<Model>("unet_generator", R"({"n_channels": 1, "nf": 8, "n_down": 2, "encoder_weights": ")" + file + "\"}");
  for (auto& p : gen->module().named_parameters()) {
    INFO(p.key());
    if (p.key().rfind("encoder.", 0) == 0) CHECK(torch::all(p.value() == 0.25).item<bool>());
    else if (p.key().rfind("head.", 0) == 0) CHECK_FALSE(torch::all(p.value() == 0.25).item<bool>());
  }
}
