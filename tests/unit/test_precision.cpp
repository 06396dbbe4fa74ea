// Mixed precision and channels-last on the CPU: the autocast scope, the fast transposed
// convolution under bf16 autocast and in channels-last, the fp16 loss scaler, a short bf16
// GAN run, fp16 refused on the CPU, and channels-last training equal to the default layout.
#include <ATen/autocast_mode.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <fstream>

#include "ganflow/framework/train/autocast_scope.hpp"
#include "ganflow/framework/train/loss_scaler.hpp"
#include "ganflow/framework/train/precision.hpp"
#include "ganflow/layers/conv2d.hpp"
#include "ganflow/layers/conv_transpose.hpp"
#include "ganflow/layers/few_channel_transposed_conv.hpp"
#include "ganflow/model.hpp"
#include "gan_harness.hpp"
#include "layer_vs_stock.hpp"

using ganflow::json;

namespace {
// CPU checks: they stay on the CPU when GANFLOW_TEST_DEVICE moves the harness (test_cuda.cpp: GPU).
const torch::Device kCpu(torch::kCPU);

// A tiny DCGAN (the harness recipe at 16 features, batch 16): `train_params` go on the stage.
std::string tiny_gan(const json& train_params) {
  json g = gantest::tiny_dcgan({"precision", 5, 128, 16}, {{"epochs", 1}, {"switch_eval", false}, {"show_img", false},
                                                           {"checkpoint_every", 0}, {"log_every", 1}});
  g["deterministic"] = true;
  g["nodes"]["train"]["params"].update(train_params);
  return g.dump();
}

// The kernel's "flags" line for this CPU (what it has and the OS enables).
std::string cpu_flags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line) && line.rfind("flags", 0) != 0) {
  }
  return line;
}

std::vector<torch::Tensor> params_of(const ganflow::BuiltGraph& built, const std::string& node) {
  return dynamic_cast<ganflow::Model&>(*built.nodes.at(node)).module().parameters();
}

std::vector<json> step_records(const std::string& dir) {
  std::vector<json> out;
  std::ifstream f(dir + "/metrics.jsonl");
  for (std::string line; std::getline(f, line);) {
    json r = json::parse(line);
    if (r.value("kind", "") == "step") out.push_back(r);
  }
  return out;
}

// One SGD parameter [2] with gradient `grad` (lr 1, no momentum, no weight decay).
struct OneParam {
  torch::Tensor p = torch::ones({2}).requires_grad_(true);
  ganflow::Optim opt{ganflow::OptimizerSettings{"sgd", 0.0, 0.0, 1e-8, 0.0, false}, 1.0, {p}};
  void set_grad(std::vector<float> g) { p.mutable_grad() = torch::tensor(g); }
};

// Within bf16's rounding of each other, as a fraction of the larger tensor's size.
bool close_in_bf16(const torch::Tensor& a, const torch::Tensor& b, double fraction) {
  const torch::Tensor fa = a.to(torch::kFloat), fb = b.to(torch::kFloat);
  return torch::allclose(fa, fb, fraction, fraction * fb.abs().max().item<double>());
}

// A fast layer against its stock layer under CPU bf16 autocast: the same weights, then the
// output (bf16 from the fast layer) and the input, weight and bias gradients.
template <typename Stock, typename Fast>
void check_bf16_matches_stock(Stock& stock, Fast& fast, const torch::Tensor& x) {
  const bool bias = stock->bias.defined();
  {
    torch::NoGradGuard ng;
    fast->weight.copy_(stock->weight);
    if (bias) fast->bias.copy_(stock->bias);
  }
  torch::Tensor xs = x.clone().requires_grad_(true), xf = x.clone().requires_grad_(true);
  torch::Tensor ys, yf;
  {
    ganflow::AutocastScope amp(c10::DeviceType::CPU, at::kBFloat16);
    ys = stock->forward(xs);
    yf = fast->forward(xf);
  }
  CHECK(yf.scalar_type() == at::kBFloat16);
  CHECK(close_in_bf16(yf, ys, 2e-2));
  torch::Tensor g = torch::randn(ys.sizes());
  (ys.to(torch::kFloat) * g).sum().backward();
  (yf.to(torch::kFloat) * g).sum().backward();
  // The gradients come back to the fp32 parameters in fp32, equal within bf16 rounding.
  REQUIRE(fast->weight.grad().scalar_type() == at::kFloat);
  CHECK(close_in_bf16(xf.grad(), xs.grad(), 3e-2));
  CHECK(close_in_bf16(fast->weight.grad(), stock->weight.grad(), 3e-2));
  if (bias) CHECK(close_in_bf16(fast->bias.grad(), stock->bias.grad(), 3e-2));
}
}  // namespace

TEST_CASE("the autocast scope sets bf16 autocast and restores the previous state, also on exceptions",
          "[precision]") {
  const auto cpu = c10::DeviceType::CPU;
  REQUIRE_FALSE(ganflow::autocast_enabled(cpu));
  at::ScalarType before = ganflow::autocast_dtype(cpu);
  try {
    ganflow::AutocastScope amp(cpu, at::kBFloat16);
    CHECK(ganflow::autocast_enabled(cpu));
    CHECK(ganflow::autocast_dtype(cpu) == at::kBFloat16);
    CHECK(torch::mm(torch::randn({4, 4}), torch::randn({4, 4})).scalar_type() == at::kBFloat16);
    throw std::runtime_error("inside");
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(ganflow::autocast_enabled(cpu));
  CHECK(ganflow::autocast_dtype(cpu) == before);
  {
    ganflow::AutocastScope fp32(cpu, std::nullopt);  // fp32: nothing changes
    CHECK_FALSE(ganflow::autocast_enabled(cpu));
    CHECK(torch::mm(torch::randn({4, 4}), torch::randn({4, 4})).scalar_type() == at::kFloat);
  }
}

TEST_CASE("fast ConvTranspose2d under bf16 autocast matches the stock op under autocast", "[precision][layers]") {
  torch::manual_seed(0);
  // LibTorch 1.13's CPU autocast runs the stock op in fp32 (2.x: bf16); ours runs in bf16.
  auto opts = torch::nn::ConvTranspose2dOptions(32, 16, 4).stride(2).padding(1).bias(true);
  torch::nn::ConvTranspose2d stock(opts);
  ganflow::layers::FastConvTranspose2d fast(opts);
  check_bf16_matches_stock(stock, fast, torch::randn({4, 32, 4, 4}));
}

TEST_CASE("the image layers under bf16 autocast take the few-channel kernel and match the stock ops",
          "[precision][layers]") {
  using ganflow::layers::few_channel_transposed_conv_applies;
  gantest::ConvIsaScope avx512(ganflow::layers::ConvIsa::avx512);  // where the layers use it
  gantest::FastLayers fast_layers(true);
  torch::manual_seed(3);
  const auto bf16 = torch::kBFloat16;
  SECTION("a generator's last layer: its forward") {
    auto opts = torch::nn::ConvTranspose2dOptions(16, 1, 4).stride(2).padding(1).bias(true);
    torch::nn::ConvTranspose2d stock(opts);
    ganflow::layers::FastConvTranspose2d fast(opts);
    torch::Tensor x = torch::randn({4, 16, 8, 8});
    REQUIRE(ganflow::layers::conv_transpose_path(*fast, x) == ganflow::layers::ConvTransposePath::via_conv);
    REQUIRE(few_channel_transposed_conv_applies(x.to(bf16), stock->weight.to(bf16)));
    check_bf16_matches_stock(stock, fast, x);
  }
  SECTION("a critic's first layer: its input gradient") {
    auto opts = torch::nn::Conv2dOptions(1, 8, 4).stride(2).padding(1).bias(true);
    torch::nn::Conv2d stock(opts);
    ganflow::layers::FastConv2d fast(opts);
    torch::Tensor x = torch::randn({4, 1, 16, 16});
    REQUIRE(ganflow::layers::conv2d_path(*fast, x) == ganflow::layers::Conv2dPath::few_input_channels);
    REQUIRE(few_channel_transposed_conv_applies(torch::randn({4, 8, 8, 8}).to(bf16), stock->weight.to(bf16)));
    check_bf16_matches_stock(stock, fast, x);
  }
}

TEST_CASE("fast ConvTranspose2d takes channels-last inputs and weights", "[precision][layers]") {
  torch::manual_seed(1);
  ganflow::layers::FastConvTranspose2d a(torch::nn::ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1).bias(true));
  ganflow::layers::FastConvTranspose2d b(torch::nn::ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1).bias(true));
  {
    torch::NoGradGuard ng;
    b->weight.copy_(a->weight);
    b->bias.copy_(a->bias);
    b->weight.set_data(b->weight.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  torch::Tensor x = torch::randn({3, 16, 5, 5});
  torch::Tensor xa = x.clone().requires_grad_(true);
  torch::Tensor xb = x.contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
  torch::Tensor ya = a->forward(xa), yb = b->forward(xb);
  CHECK(torch::allclose(ya, yb, 1e-5, 1e-5));
  torch::Tensor g = torch::randn(ya.sizes());
  (ya * g).sum().backward();
  (yb * g).sum().backward();
  CHECK(torch::allclose(xa.grad(), xb.grad(), 1e-5, 1e-5));
  CHECK(torch::allclose(a->weight.grad(), b->weight.grad(), 1e-4, 1e-4));
  CHECK(torch::allclose(a->bias.grad(), b->bias.grad(), 1e-4, 1e-4));
}

TEST_CASE("the loss scaler skips a step with an inf gradient and halves the scale", "[precision][scaler]") {
  OneParam one;
  ganflow::LossScaler scaler(true, 1024.0, 3);
  CHECK(scaler.scale(torch::tensor(2.0f)).item<float>() == 2048.0f);
  one.set_grad({INFINITY, 1024.0f});
  CHECK_FALSE(scaler.step(one.opt));
  CHECK(scaler.scale_value() == 512.0);
  CHECK(torch::equal(one.p, torch::ones({2})));  // unchanged
  one.set_grad({0.0f, NAN});
  CHECK_FALSE(scaler.step(one.opt));
  CHECK(scaler.scale_value() == 256.0);
  CHECK(torch::equal(one.p, torch::ones({2})));
  // A finite step uses the unscaled gradient: p - lr * g / scale.
  one.set_grad({256.0f, -512.0f});
  CHECK(scaler.step(one.opt));
  CHECK(torch::allclose(one.p.detach(), torch::tensor({0.0f, 3.0f})));
}

TEST_CASE("the loss scaler doubles the scale after growth_interval clean steps", "[precision][scaler]") {
  OneParam one;
  ganflow::LossScaler scaler(true, 8.0, 3);
  for (int i = 0; i < 2; ++i) {
    one.set_grad({1.0f, 1.0f});
    CHECK(scaler.step(one.opt));
  }
  CHECK(scaler.scale_value() == 8.0);
  CHECK(scaler.growth_tracker() == 2);
  one.set_grad({1.0f, 1.0f});
  CHECK(scaler.step(one.opt));
  CHECK(scaler.scale_value() == 16.0);
  CHECK(scaler.growth_tracker() == 0);
  // An overflow resets the count.
  one.set_grad({1.0f, 1.0f});
  scaler.step(one.opt);
  one.set_grad({INFINITY, 1.0f});
  scaler.step(one.opt);
  CHECK(scaler.scale_value() == 8.0);
  CHECK(scaler.growth_tracker() == 0);
}

TEST_CASE("the loss scaler's state round-trips through its checkpoint form", "[precision][scaler]") {
  OneParam one;
  ganflow::LossScaler a(true, 64.0, 4);
  for (int i = 0; i < 3; ++i) {
    one.set_grad({1.0f, 1.0f});
    a.step(one.opt);
  }
  ganflow::LossScaler b(true, 65536.0, 4);
  b.load_state(json::parse(a.state().dump()));
  CHECK(b.scale_value() == 64.0);
  CHECK(b.growth_tracker() == 3);
  one.set_grad({1.0f, 1.0f});
  b.step(one.opt);  // the resumed scaler continues the count: the 4th clean step grows
  CHECK(b.scale_value() == 128.0);
  // A disabled scaler (fp32, bf16) passes the loss through and always steps.
  ganflow::LossScaler off;
  CHECK(off.scale(torch::tensor(3.0f)).item<float>() == 3.0f);
  one.set_grad({INFINITY, 0.0f});
  CHECK(off.step(one.opt));
}

TEST_CASE("a short bf16 GAN run on the CPU trains with finite losses and fp32 parameters", "[precision][gan]") {
  std::string dir = gantest::temp_dir("bf16");
  auto built = gantest::run_graph(tiny_gan({{"precision", "bf16"}, {"max_batches", 4}}), dir, kCpu);
  auto records = step_records(dir);
  REQUIRE(records.size() == 4);
  for (auto& r : records) CHECK(std::isfinite(r["train_loss"].get<double>()));
  for (const char* node : {"generator", "critic"})
    for (auto& p : params_of(built, node)) {
      CHECK(p.scalar_type() == at::kFloat);
      CHECK(torch::isfinite(p).all().item<bool>());
    }
  CHECK_FALSE(ganflow::autocast_enabled(c10::DeviceType::CPU));  // the stage left autocast as it was
}

TEST_CASE("fp16 on the CPU is a one-line error naming the node and the param", "[precision]") {
  std::string dir = gantest::temp_dir("fp16cpu");
  try {
    gantest::run_graph(tiny_gan({{"precision", "fp16"}, {"max_batches", 1}}), dir, kCpu);
    FAIL("fp16 on the CPU ran");
  } catch (const ganflow::Error& e) {
    std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("node 'train'") != std::string::npos);
    CHECK(msg.find("param 'precision'") != std::string::npos);
    CHECK(msg.find("fp16") != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("channels-last training steps equal the default layout's", "[precision][gan]") {
  auto run = [](bool channels_last) {
    std::string dir = gantest::temp_dir(channels_last ? "cl_on" : "cl_off");
    return gantest::run_graph(tiny_gan({{"channels_last", channels_last}, {"max_batches", 2}}), dir, kCpu);
  };
  auto off = run(false), on = run(true);
  for (const char* node : {"generator", "critic"}) {
    auto a = params_of(off, node), b = params_of(on, node);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO(node << " parameter " << i);
      if (b[i].dim() == 4) CHECK(b[i].is_contiguous(torch::MemoryFormat::ChannelsLast));
      CHECK(torch::allclose(a[i], b[i], 0, 1e-5));
    }
  }
}

TEST_CASE("a learner stage trains in bf16 with channels-last, its model staying fp32", "[precision]") {
  json g = json::parse(R"({
    "name": "learner_bf16", "seed": 3, "threads": 2, "deterministic": true,
    "nodes": {
      "images": {"type": "fashion_mnist", "params": {"split": "train", "size": 32, "limit": 64}},
      "data": {"type": "item_list", "inputs": {"x": "images"}, "params": {"target": "label", "bs": 16, "threads": 1}},
      "classifier": {"type": "fmnist_classifier", "params": {"feature_dim": 16}},
      "loss": {"type": "cross_entropy"},
      "train": {"type": "learner", "inputs": {"data": "data", "model": "classifier", "loss": "loss"},
                "params": {"epochs": 1, "max_batches": 3, "precision": "bf16", "channels_last": true}}
    }})");
  std::string dir = gantest::temp_dir("learner_bf16");
  auto built = gantest::run_graph(g.dump(), dir, kCpu);
  json row;
  std::ifstream f(dir + "/metrics.jsonl");
  for (std::string line; std::getline(f, line);)
    if (json r = json::parse(line); r.value("kind", "") == "epoch") row = r;
  REQUIRE(row.contains("train_loss"));
  CHECK(std::isfinite(row["train_loss"].get<double>()));
  for (auto& p : params_of(built, "classifier")) {
    CHECK(p.scalar_type() == at::kFloat);
    if (p.dim() == 4) CHECK(p.is_contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

TEST_CASE("precision auto chooses bf16 where the hardware has native bf16 and fp32 elsewhere, saying why", "[precision]") {
  using ganflow::choose_precision;
  ganflow::CpuIsa avx2;
  avx2.avx2 = true;
  ganflow::CpuIsa zen4 = avx2, spr = avx2;
  zen4.avx512f = zen4.avx512_bf16 = true;
  spr.avx512f = spr.avx512_bf16 = spr.amx_bf16 = true;
  CHECK(choose_precision(kCpu, spr, false).precision == "bf16");
  CHECK_THAT(choose_precision(kCpu, spr, false).reason, Catch::Contains("AMX-BF16"));
  CHECK(choose_precision(kCpu, zen4, false).precision == "bf16");
  CHECK_THAT(choose_precision(kCpu, zen4, false).reason, Catch::Contains("AVX512-BF16"));
  CHECK(choose_precision(kCpu, avx2, false).precision == "fp32");
  CHECK_THAT(choose_precision(kCpu, avx2, false).reason, Catch::Contains("(AVX2)") && Catch::Contains("emulated"));
  const torch::Device gpu(torch::kCUDA, 0);
  CHECK(choose_precision(gpu, avx2, true).precision == "bf16");
  CHECK(choose_precision(gpu, spr, false).precision == "fp32");

  // This machine: the test reads the CPU's flags itself; a run with auto logs the choice and
  // trains step for step as the explicit precision does.
  const std::string line = cpu_flags();
  const bool native_bf16 = line.find(" amx_bf16") != std::string::npos || line.find(" avx512_bf16") != std::string::npos;
  const std::string want = native_bf16 ? "bf16" : "fp32";
  const std::string dir_auto = gantest::temp_dir("precision_auto"), dir_explicit = gantest::temp_dir("precision_explicit");
  gantest::run_graph(tiny_gan({{"precision", "auto"}, {"max_batches", 3}}), dir_auto, kCpu);
  gantest::run_graph(tiny_gan({{"precision", want}, {"max_batches", 3}}), dir_explicit, kCpu);
  const std::string text = gantest::read_text(dir_auto + "/log.txt");
  CHECK_THAT(text, Catch::Contains("train: precision auto -> " + want + " on cpu ("));
  auto a = step_records(dir_auto), b = step_records(dir_explicit);
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i]["train_loss"].get<double>() == b[i]["train_loss"].get<double>());
}

TEST_CASE("channels_last auto runs channels-last for fp32 with oneDNN's AVX-512 kernels only, saying why", "[precision]") {
  using ganflow::choose_layout;
  const bool avx512 = true, avx2 = false;
  const std::optional<at::ScalarType> fp32, bf16 = at::kBFloat16;
  CHECK(choose_layout("auto", kCpu, fp32, avx512).channels_last);
  CHECK_THAT(choose_layout("auto", kCpu, fp32, avx512).reason, Catch::Contains("AVX-512"));
  CHECK_FALSE(choose_layout("auto", kCpu, bf16, avx512).channels_last);
  CHECK_THAT(choose_layout("auto", kCpu, bf16, avx512).reason, Catch::Contains("BFloat16"));
  CHECK_FALSE(choose_layout("auto", kCpu, fp32, avx2).channels_last);
  CHECK_THAT(choose_layout("auto", kCpu, fp32, avx2).reason, Catch::Contains("AVX2 kernels"));
  CHECK_FALSE(choose_layout("auto", torch::Device(torch::kCUDA, 0), fp32, avx512).channels_last);
  CHECK(choose_layout("true", kCpu, bf16, avx2).channels_last);  // what the graph sets wins
  CHECK_FALSE(choose_layout("false", kCpu, fp32, avx512).channels_last);

  // This machine, from its own CPU flags and oneDNN's ISA cap: the default (auto) logs the choice
  // and converts the models accordingly.
  const std::string line = cpu_flags();
  bool core = true;
  for (const char* f : {" avx512f", " avx512bw", " avx512vl", " avx512dq"}) core &= line.find(f) != std::string::npos;
  for (const char* cap : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"})
    if (const char* v = std::getenv(cap); v && *v) core &= std::string(v).find("AVX512") == 0 || std::string(v) == "ALL";
  const std::string dir = gantest::temp_dir("channels_last_auto");
  auto built = gantest::run_graph(tiny_gan({{"max_batches", 1}}), dir, kCpu);
  const std::string text = gantest::read_text(dir + "/log.txt");
  CHECK_THAT(text, Catch::Contains(std::string("train: channels_last auto -> ") + (core ? "true" : "false") + " on cpu ("));
  int four_d = 0;
  for (auto& p : params_of(built, "generator"))
    if (p.dim() == 4 && p.size(1) > 1) {
      CHECK(p.is_contiguous(torch::MemoryFormat::ChannelsLast) == core);
      ++four_d;
    }
  CHECK(four_d > 0);
}
