// TorchScript export (ganflow/torchscript.hpp, `ganflow export`): every shipped model's scripted
// form computes what its C++ forward computes, in both modes; what cannot be scripted is refused
// by name; and an exported generator, loaded by torch.jit.load in C++ and in Python, draws the
// images `ganflow generate` draws.
#include <catch2/catch.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

#include "ganflow/conditional_model.hpp"
#include "ganflow/layers/sequential_block.hpp"
#include "ganflow/model.hpp"
#include "ganflow/state_dict.hpp"
#include "ganflow/torchscript.hpp"
#include "gan_harness.hpp"
#include "test_support.hpp"

using ganflow::json;
using namespace ganflow::test;

namespace {
struct ModelCase {
  std::string type, params;
  std::vector<int64_t> input;  // the input's shape; noise or images
};

// Runs `model` and its TorchScript form on the same input, from the same random state (dropout),
// in train mode (then their buffers: BatchNorm's running statistics, spectral norm's vectors)
// and in eval mode.
void check_scripted(const ModelCase& k) {
  auto model = build_one<ganflow::Model>(k.type, k.params);
  auto* cond = dynamic_cast<ganflow::ConditionalModel*>(model.get());
  torch::nn::Module& m = model->module();
  const int64_t bs = k.input.front();
  const torch::Tensor x = torch::randn(k.input), labels = torch::arange(bs) % 3;
  {
    torch::NoGradGuard ng;  // a trained-looking state: running statistics and cBN maps away from their init
    m.train();
    for (int i = 0; i < 2; ++i) cond ? cond->forward(x, labels) : model->forward(x);
    for (auto& p : m.named_parameters())
      if (p.key().find("cbn.") != std::string::npos) p.value().normal_(0, 0.3);
  }
  torch::jit::Module scripted = ganflow::to_torchscript(m, "n");
  auto run_script = [&] {
    std::vector<c10::IValue> in{x};
    if (cond) in.emplace_back(labels);
    return scripted.forward(in).toTensor();
  };
  auto run_model = [&] { return cond ? cond->forward(x, labels) : model->forward(x); };
  INFO(k.type << " " << k.params);
  torch::NoGradGuard ng;
  for (bool training : {true, false}) {
    INFO((training ? "train" : "eval") << " mode");
    m.train(training);
    scripted.train(training);
    torch::manual_seed(7);
    const torch::Tensor want = run_model();
    torch::manual_seed(7);
    const torch::Tensor got = run_script();
    REQUIRE(got.sizes() == want.sizes());
    CHECK(torch::allclose(got, want, 1e-4, 1e-5));
  }
  const auto buffers = m.named_buffers();
  int64_t compared = 0;
  for (const auto& b : scripted.named_buffers()) {
    const torch::Tensor* mine = buffers.find(b.name);
    REQUIRE(mine);
    INFO("buffer " << b.name);
    CHECK(torch::allclose(b.value.to(mine->scalar_type()), *mine, 1e-4, 1e-6));
    ++compared;
  }
  CHECK(compared == int64_t(buffers.size()));
}
}  // namespace

TEST_CASE("every shipped model exports to TorchScript that computes what its C++ forward computes, in both modes",
          "[torchscript]") {
  const std::vector<ModelCase> cases = {
      {"basic_generator", R"({"out_size": 16, "noise_sz": 8, "n_features": 8, "n_extra_layers": 1})", {4, 8}},
      {"basic_generator", R"({"out_size": 16, "noise_sz": 8, "n_features": 8, "block_order": "v1"})", {4, 8, 1, 1}},
      {"basic_generator", R"({"out_size": 16, "noise_sz": 8, "n_features": 8, "n_classes": 3})", {6, 8, 1, 1}},
      {"basic_generator", R"({"out_size": 16, "noise_sz": 8, "n_features": 8, "n_classes": 3, "conditioning": "concat"})",
       {6, 8, 1, 1}},
      {"unet_generator", R"({"n_channels": 1, "nf": 8, "n_down": 2, "y_range": [-1.0, 1.0]})", {2, 1, 16, 16}},
      {"unet_generator", R"({"n_channels": 3, "nf": 8, "n_down": 1, "upsample": "transpose", "blur": false,
                            "self_attention": false})",
       {2, 3, 8, 8}},
      {"basic_critic", R"({"in_size": 16, "n_features": 8, "n_extra_layers": 1})", {4, 1, 16, 16}},
      {"basic_critic", R"({"in_size": 16, "n_features": 8, "block_order": "v1", "output": "batch_mean"})", {4, 1, 16, 16}},
      {"basic_critic", R"({"in_size": 16, "n_features": 8, "n_classes": 3, "conditioning": "both"})", {6, 1, 16, 16}},
      {"gan_critic", R"({"n_channels": 1, "nf": 8, "n_blocks": 1})", {3, 1, 16, 16}},
      {"gan_critic", R"({"n_channels": 1, "nf": 8, "n_blocks": 1, "n_classes": 3, "conditioning": "projection"})",
       {3, 1, 16, 16}},
  };
  int64_t checked = 0;
  for (const auto& k : cases) {
    check_scripted(k);
    ++checked;
  }
  CHECK(checked == int64_t(cases.size()));
}

namespace {
struct NotScriptableImpl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) { return x * 2; }
};
TORCH_MODULE(NotScriptable);

struct BadSourceImpl : torch::nn::Module, ganflow::Scriptable {
  torch::Tensor forward(const torch::Tensor& x) { return x; }
  std::string torchscript() const override { return "def forward(self, x: Tensor) -> Tensor:\n    return self.nope(x)\n"; }
};
TORCH_MODULE(BadSource);

std::string export_error(torch::nn::Sequential seq) {
  try {
    ganflow::to_torchscript(*seq, "gen");
  } catch (const ganflow::Error& e) {
    CHECK(e.node() == "gen");
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a module TorchScript cannot express is refused naming the node and the module's path", "[torchscript]") {
  torch::nn::Sequential functional(torch::nn::ReLU(), torch::nn::Functional([](const torch::Tensor& x) { return x; }));
  std::string e = export_error(functional);
  CHECK_THAT(e, Catch::Contains("node 'gen'") && Catch::Contains("module '1' is a Functional"));
  CHECK(e.find('\n') == std::string::npos);

  auto unknown = torch::nn::Sequential(ganflow::layers::SequentialBlock(torch::nn::ReLU(), NotScriptable()));
  e = export_error(unknown);
  CHECK_THAT(e, Catch::Contains("module '0.1' (") && Catch::Contains("derive it from ganflow::Scriptable"));

  e = export_error(torch::nn::Sequential(BadSource()));
  CHECK_THAT(e, Catch::Contains("module '0' (") && Catch::Contains("does not compile"));
  CHECK(e.find('\n') == std::string::npos);
}

namespace {
// A tiny run of `g` in `dir`/run; the exported generator and `ganflow generate`'s tensor of the
// same seed, compared in C++ (torch::jit::load) and in Python (torch.jit.load, no ganflow).
void check_export_matches_generate(json g, const std::string& dir, const std::string& class_arg) {
  g["device"] = "cpu";
  g["threads"] = 1;
  const std::string graph = dir + "/graph_in.json";
  std::ofstream(graph) << g.dump(2);
  auto r = run_ganflow("run " + graph + " --out " + dir + "/run");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  r = run_ganflow("export " + dir + "/run --out " + dir + "/gen.pt");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("wrote " + dir + "/gen.pt: stage 'train' generator 'generator'"));
  const std::string cls = class_arg.empty() ? "" : " --class " + class_arg;
  r = run_ganflow("generate " + dir + "/run --n 6 --seed 5 --format pt --out " + dir + "/x.pt" + cls);
  REQUIRE(r.exit_code == 0);

  torch::jit::Module m = torch::jit::load(dir + "/gen.pt");
  CHECK_FALSE(m.is_training());
  torch::manual_seed(5);
  std::vector<c10::IValue> in{torch::randn({6, 16, 1, 1})};  // noisy_item's draw for --seed 5
  if (!class_arg.empty()) in.emplace_back(torch::full({6}, int64_t(std::stoll(class_arg)), torch::kLong));
  torch::NoGradGuard ng;
  const torch::Tensor got = m.forward(in).toTensor();
  const torch::Tensor want = ganflow::load_pickle(dir + "/x.pt").toTensor();
  REQUIRE(got.sizes() == want.sizes());
  CHECK((got - want).abs().max().item<double>() <= 1e-5);

  auto py = run_python("check_export.py", {dir + "/gen.pt", dir + "/x.pt", "5", "6", "16", class_arg.empty() ? "-1" : class_arg});
  INFO(py.output);
  CHECK(py.exit_code == 0);
  CHECK_THAT(py.output, Catch::Contains("OK"));
}
}  // namespace

TEST_CASE("ganflow export writes a generator that torch.jit.load runs in C++ and Python, drawing what generate draws",
          "[torchscript]") {
  const std::string dir = scratch_dir("export_dcgan");
  json g = gantest::tiny_dcgan({"export", 3, 128, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 4}});
  check_export_matches_generate(g, dir, "");
  // No generator_ema in this run: --ema is refused, --raw is what the default took.
  auto r = run_ganflow("export " + dir + "/run --out " + dir + "/ema.pt --ema");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("no averaged generator weights"));
  CHECK_FALSE(std::filesystem::exists(dir + "/ema.pt"));
  r = run_ganflow("export " + dir + "/run --out " + dir + "/raw.pt --raw");
  CHECK(r.exit_code == 0);
  r = run_ganflow("export " + dir + "/nowhere --out " + dir + "/x.pt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("nowhere': no such run folder or checkpoint"));
}

TEST_CASE("a class-conditional generator exports as forward(z, labels) and draws the class it is given",
          "[torchscript][conditional]") {
  const std::string dir = scratch_dir("export_cgan");
  json g = gantest::tiny_dcgan({"export_cgan", 3, 128, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 4}});
  g["nodes"]["noise"]["params"]["n_classes"] = 10;
  g["nodes"]["generator"]["params"]["n_classes"] = 10;
  g["nodes"]["critic"]["params"]["n_classes"] = 10;
  g["nodes"]["ema"] = {{"type", "generator_ema"}, {"inputs", {{"generator", "generator"}}}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"ema"});
  check_export_matches_generate(g, dir, "7");
  auto r = run_ganflow("export " + dir + "/run --out " + dir + "/ema.pt --ema");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("_ema.pt") && Catch::Contains("forward(z, labels)"));
}
