// CUDA variants of the numeric tests (tag [cuda]): with a GPU they run the layers, models,
// Adam step, loss scaler and short GAN runs on CUDA and compare with the CPU (or torch's own
// Adam); without one they skip (a warning, which CTest reports as skipped) unless
// GANFLOW_REQUIRE_CUDA=1, which scripts/gpu-check sets so a GPU machine that cannot see its
// GPU fails instead of passing empty.
#include <catch2/catch.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>

#include "ganflow/framework/train/autocast_scope.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/framework/train/loss_scaler.hpp"
#include "ganflow/framework/train/optimizer.hpp"
#include "ganflow/layers/conv_transpose.hpp"
#include "ganflow/model.hpp"
#include "gan_harness.hpp"
#include "test_support.hpp"

using ganflow::json;

namespace {
const torch::Device kCuda(torch::kCUDA, 0);

// cuDNN runs fp32 convolutions in TF32 by default on Ampere and later (10-bit mantissa):
// the comparisons with the CPU hold them to fp32 arithmetic while they run.
struct ExactFp32Convolutions {
  bool before = at::globalContext().allowTF32CuDNN();
  ExactFp32Convolutions() { at::globalContext().setAllowTF32CuDNN(false); }
  ~ExactFp32Convolutions() { at::globalContext().setAllowTF32CuDNN(before); }
};

bool close(const torch::Tensor& a, const torch::Tensor& b, double rtol, double atol) {
  return torch::allclose(a.to(torch::kCPU).to(torch::kFloat), b.to(torch::kCPU).to(torch::kFloat), rtol, atol);
}

// noise_on_cpu: the noise drawn on the CPU and moved, the same on both devices.
std::string tiny_gan(const json& train_params, const std::string& device, bool noise_on_cpu = false) {
  json g = gantest::tiny_dcgan({"cuda", 5, 256, 32},
                               {{"epochs", 1}, {"max_batches", 8}, {"switch_eval", false}, {"show_img", false},
                                {"checkpoint_every", 0}, {"log_every", 1}});
  g["device"] = device;
  g["nodes"]["train"]["params"].update(train_params);
  if (noise_on_cpu) g["nodes"]["noise"]["params"]["draw_on"] = "cpu";
  return g.dump();
}

std::vector<double> step_losses(const std::string& dir) {
  std::vector<double> out;
  for (const json& r : gantest::run_records(dir, "step")) out.push_back(r["train_loss"].get<double>());
  return out;
}

ganflow::Model& model(const ganflow::BuiltGraph& b, const std::string& node) {
  return dynamic_cast<ganflow::Model&>(*b.nodes.at(node));
}
}  // namespace

TEST_CASE("CUDA: fast ConvTranspose2d (the stock op on CUDA) matches the CPU fast path", "[cuda][layers]") {
  if (!ganflow::test::have_cuda()) return;
  ExactFp32Convolutions fp32;
  torch::manual_seed(0);
  ganflow::layers::FastConvTranspose2d cpu(torch::nn::ConvTranspose2dOptions(64, 32, 4).stride(2).padding(1).bias(true));
  ganflow::layers::FastConvTranspose2d gpu(torch::nn::ConvTranspose2dOptions(64, 32, 4).stride(2).padding(1).bias(true));
  {
    torch::NoGradGuard ng;
    gpu->weight.copy_(cpu->weight);
    gpu->bias.copy_(cpu->bias);
  }
  gpu->to(kCuda);
  torch::Tensor x = torch::randn({8, 64, 8, 8});
  torch::Tensor yc = cpu->forward(x), yg = gpu->forward(x.to(kCuda));
  CHECK(close(yc, yg, 1e-3, 1e-4));
  torch::Tensor g = torch::randn(yc.sizes());
  (yc * g).sum().backward();
  (yg * g.to(kCuda)).sum().backward();
  CHECK(close(cpu->weight.grad(), gpu->weight.grad(), 1e-3, 1e-3));
  CHECK(close(cpu->bias.grad(), gpu->bias.grad(), 1e-3, 1e-3));
}

TEST_CASE("CUDA: the DCGAN generator and critic match the CPU forward and backward", "[cuda][models]") {
  if (!ganflow::test::have_cuda()) return;
  ExactFp32Convolutions fp32;
  std::string graph = tiny_gan(json::object(), "cpu");
  auto build = [&] {
    ganflow::Graph g = ganflow::parse_graph(graph);
    ganflow::validate_graph(g, gantest::registry());
    torch::manual_seed(7);
    return ganflow::build_graph(g, gantest::registry());
  };
  auto on_cpu = build(), on_gpu = build();  // same seed: same weights
  for (const char* node : {"generator", "critic"}) {
    INFO(node);
    auto& mc = model(on_cpu, node);
    auto& mg = model(on_gpu, node);
    mg.module().to(kCuda);
    torch::manual_seed(8);
    torch::Tensor x = std::string(node) == "generator" ? torch::randn({16, 16, 1, 1}) : torch::randn({16, 1, 32, 32});
    torch::Tensor yc = mc.forward(x), yg = mg.forward(x.to(kCuda));
    CHECK(close(yc, yg, 1e-3, 1e-4));
    yc.pow(2).mean().backward();
    yg.pow(2).mean().backward();
    auto pc = mc.module().parameters(), pg = mg.module().parameters();
    for (std::size_t i = 0; i < pc.size(); ++i) {
      INFO("parameter " << i);
      double scale = pc[i].grad().abs().max().item<double>();
      CHECK(close(pc[i].grad(), pg[i].grad(), 1e-2, 1e-3 * scale + 1e-7));
    }
  }
}

TEST_CASE("CUDA: the loss scaler's fused check skips an inf step and unscales a clean one", "[cuda][scaler]") {
  if (!ganflow::test::have_cuda()) return;
  torch::Tensor p = torch::ones({3}, kCuda).requires_grad_(true);
  ganflow::Optim opt(ganflow::OptimizerSettings{"sgd", 0.0, 0.0, 1e-8, 0.0, false}, 1.0, {p});
  ganflow::LossScaler scaler(true, 4.0, 2);
  p.mutable_grad() = torch::tensor({1.0f, INFINITY, 0.0f}, kCuda);
  CHECK_FALSE(scaler.step(opt));
  CHECK(scaler.scale_value() == 2.0);
  CHECK(close(p.detach(), torch::ones({3}), 0, 0));
  p.mutable_grad() = torch::tensor({2.0f, -2.0f, 4.0f}, kCuda);
  CHECK(scaler.step(opt));
  CHECK(close(p.detach(), torch::tensor({0.0f, 2.0f, -1.0f}), 0, 1e-6));
}

TEST_CASE("CUDA: Optim's multi-tensor Adam matches torch::optim::Adam on the GPU", "[cuda][optimizer]") {
  if (!ganflow::test::have_cuda()) return;
  torch::manual_seed(4);
  std::vector<torch::Tensor> ours, theirs;
  for (auto shape : {std::vector<int64_t>{64, 32, 4, 4}, std::vector<int64_t>{32}, std::vector<int64_t>{7, 3}}) {
    ours.push_back(torch::randn(shape, kCuda).requires_grad_(true));
    theirs.push_back(ours.back().detach().clone().requires_grad_(true));
  }
  ganflow::Optim opt(ganflow::OptimizerSettings{"adam", 0.5, 0.99, 1e-8, 0.01, /*true_wd=*/false}, 2e-3, ours);
  torch::optim::Adam ref(theirs, torch::optim::AdamOptions(2e-3).betas({0.5, 0.99}).eps(1e-8).weight_decay(0.01));
  int steps = 0;
  for (; steps < 5; ++steps) {
    for (std::size_t i = 0; i < ours.size(); ++i) {
      auto g = torch::randn(ours[i].sizes(), kCuda);
      ours[i].mutable_grad() = g.clone();
      theirs[i].mutable_grad() = g.clone();
    }
    opt.step();
    ref.step();
  }
  REQUIRE(steps == 5);
  for (std::size_t i = 0; i < ours.size(); ++i) {
    INFO("parameter " << i);
    CHECK(close(ours[i].detach(), theirs[i].detach(), 1e-5, 1e-6));
  }
}

TEST_CASE("CUDA: the autocast scope casts CUDA matmuls and restores the state", "[cuda][precision]") {
  if (!ganflow::test::have_cuda()) return;
  torch::Tensor a = torch::randn({8, 8}, kCuda);
  for (auto dtype : {at::kHalf, at::kBFloat16}) {
    {
      ganflow::AutocastScope amp(c10::DeviceType::CUDA, dtype);
      CHECK(torch::mm(a, a).scalar_type() == dtype);
    }
    CHECK(torch::mm(a, a).scalar_type() == at::kFloat);
    CHECK_FALSE(ganflow::autocast_enabled(c10::DeviceType::CUDA));
  }
}

TEST_CASE("CUDA: the first GAN step's loss matches the CPU's", "[cuda][gan]") {
  if (!ganflow::test::have_cuda()) return;
  ExactFp32Convolutions fp32;
  std::string dc = gantest::temp_dir("cuda_vs_cpu_c"), dg = gantest::temp_dir("cuda_vs_cpu_g");
  gantest::run_graph(tiny_gan({{"max_batches", 2}}, "cpu", true), dc, torch::Device(torch::kCPU));
  gantest::run_graph(tiny_gan({{"max_batches", 2}}, "cuda", true), dg, kCuda);
  auto lc = step_losses(dc), lg = step_losses(dg);
  REQUIRE(lc.size() == 2);
  REQUIRE(lg.size() == 2);
  // Same weights, data and noise (drawn on the CPU, draw_on: cpu): the first step agrees to
  // float tolerance; later steps drift with the kernels' rounding.
  CHECK(lg[0] == Approx(lc[0]).epsilon(1e-3));
}

TEST_CASE("CUDA: short GAN runs in fp32, bf16, fp16 and channels-last train with finite losses", "[cuda][gan]") {
  if (!ganflow::test::have_cuda()) return;
  for (json params : {json{{"precision", "fp32"}}, json{{"precision", "bf16"}}, json{{"precision", "fp16"}},
                      json{{"precision", "bf16"}, {"channels_last", true}}}) {
    INFO(params.dump());
    std::string dir = gantest::temp_dir("cuda_run");
    auto built = gantest::run_graph(tiny_gan(params, "cuda"), dir, kCuda);
    auto losses = step_losses(dir);
    REQUIRE(losses.size() == 8);
    for (double l : losses) CHECK(std::isfinite(l));
    for (const char* node : {"generator", "critic"})
      for (auto& p : model(built, node).module().parameters()) {
        CHECK(p.is_cuda());
        CHECK(p.scalar_type() == at::kFloat);
      }
  }
}

TEST_CASE("CUDA: an fp16 run checkpoints its loss scale", "[cuda][precision][resume]") {
  if (!ganflow::test::have_cuda()) return;
  std::string dir = gantest::temp_dir("cuda_fp16_ckpt");
  gantest::run_graph(tiny_gan({{"precision", "fp16"}}, "cuda"), dir, kCuda);
  auto d = ganflow::load_pickle(dir + "/checkpoints/train_last.pt").toGenericDict();
  json meta = json::parse(d.at("meta").toStringRef());
  REQUIRE(meta.contains("scaler"));
  CHECK(meta["scaler"]["scale"].get<double>() > 0);
  CHECK(meta["scaler"]["growth_tracker"].get<int64_t>() >= 0);
}
