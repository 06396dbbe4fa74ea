// TorchScript export (ganflow/torchscript.hpp, `ganflow export`): every shipped model's scripted
// form computes what its C++ forward computes, in both modes; what cannot be scripted is refused
// by name; and an exported generator, loaded by torch.jit.load in C++ and in Python, draws the
// images `ganflow generate` draws.
#include <catch2/catch.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

#include "ganflow/conditional_model.hpp"
#include "ganflow/item_source.hpp"
#include "ganflow/layers/sequential_block.hpp"
#include "ganflow/model.hpp"
#include "ganflow/scripted_module.hpp"
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

TEST_CASE("export and generate on a full disk: one error line naming the file and the cause, no abort, no file left",
          "[torchscript]") {
  const std::string dir = scratch_dir("export_full_disk");
  json g = gantest::tiny_dcgan({"export_full", 3, 128, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 2}});
  g["device"] = "cpu";
  std::ofstream(dir + "/graph_in.json") << g.dump(2);
  auto r = run_ganflow("run " + dir + "/graph_in.json --out " + dir + "/run");
  REQUIRE(r.exit_code == 0);
  // The file each writes first is /dev/full. LibTorch's own file writer aborted the process there.
  REQUIRE(std::filesystem::exists("/dev/full"));
  std::filesystem::create_symlink("/dev/full", dir + "/full.pt.tmp");
  r = run_ganflow("export " + dir + "/run --out " + dir + "/full.pt");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("error: node 'generator': cannot write '" + dir + "/full.pt.tmp': No space left on device"));
  CHECK_FALSE(std::filesystem::exists(dir + "/full.pt"));
  std::filesystem::create_symlink("/dev/full", dir + "/full.png");
  r = run_ganflow("generate " + dir + "/run --n 4 --seed 5 --out " + dir + "/full.png");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("cannot write '" + dir + "/full.png': No space left on device"));
  CHECK(std::filesystem::exists("/dev/full"));
}

TEST_CASE("ganflow export --critic writes the trained critic, which torch.jit.load runs in C++ and Python to the same scores",
          "[torchscript][conditional]") {
  int checked = 0;
  for (const bool conditional : {false, true}) {
    INFO((conditional ? "projection critic" : "critic"));
    const std::string dir = scratch_dir(conditional ? "export_critic_cond" : "export_critic");
    json g = gantest::tiny_dcgan({"export_critic", 3, 128, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 4}});
    g["device"] = "cpu";
    if (conditional)
      for (const char* node : {"noise", "generator", "critic"}) g["nodes"][node]["params"]["n_classes"] = 10;
    // The critic as training left it, in memory: the reference the exported file must match.
    ganflow::BuiltGraph built = gantest::run_graph(g.dump(), dir + "/run", torch::kCPU);
    auto r = run_ganflow("export " + dir + "/run --critic --out " + dir + "/critic.pt");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("stage 'train' critic 'critic' (" + dir + "/run/train_critic.pt)") &&
                             Catch::Contains(conditional ? "forward(images, labels)" : "forward(images)"));
    auto critic = std::dynamic_pointer_cast<ganflow::Model>(built.nodes.at("critic"));
    REQUIRE(critic);
    critic->module().eval();
    torch::manual_seed(11);
    const torch::Tensor x = torch::rand({6, 1, 32, 32}) * 2 - 1, labels = torch::arange(6, torch::kLong);
    torch::Tensor want;
    {
      torch::NoGradGuard ng;
      want = ganflow::forward_with_labels(*critic, x, labels).contiguous();
    }
    torch::jit::Module m = torch::jit::load(dir + "/critic.pt");
    CHECK_FALSE(m.is_training());
    std::vector<c10::IValue> in{x};
    if (conditional) in.emplace_back(labels);
    torch::NoGradGuard ng;
    const torch::Tensor got = m.forward(in).toTensor();
    REQUIRE(got.sizes() == want.sizes());
    CHECK((got - want).abs().max().item<double>() <= 1e-5 * std::max(1.0, want.abs().max().item<double>()));

    ganflow::save_pickle(c10::IValue(x), dir + "/x.pt");
    ganflow::save_pickle(c10::IValue(want), dir + "/scores.pt");
    ganflow::save_pickle(c10::IValue(labels), dir + "/labels.pt");
    std::vector<std::string> args{dir + "/critic.pt", dir + "/x.pt", dir + "/scores.pt"};
    if (conditional) args.push_back(dir + "/labels.pt");
    auto py = run_python("check_export_critic.py", args);
    INFO(py.output);
    CHECK(py.exit_code == 0);
    CHECK_THAT(py.output, Catch::Contains("OK"));
    ++checked;
  }
  CHECK(checked == 2);
  const std::string dir = scratch_dir("export_critic_flags");
  auto r = run_ganflow("export " + dir + "/run --critic --ema --out " + dir + "/c.pt");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.output, Catch::Contains("--critic") && Catch::Contains("--ema"));
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

  // Imported back as a class-conditional torchscript_model, it trains on with labels, and the
  // classes it is asked for reach it: two classes, two different images from the same noise.
  g["nodes"]["generator"] = {{"type", "torchscript_model"},
                             {"params", {{"file", dir + "/ema.pt"}, {"n_classes", 10}, {"input_shape", {16, 1, 1}},
                                         {"output_shape", {1, 32, 32}}}}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array();
  g["nodes"].erase("ema");
  std::ofstream(dir + "/graph_imported.json") << g.dump(2);
  r = run_ganflow("run " + dir + "/graph_imported.json --out " + dir + "/imported");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("train: 4 steps"));
  for (const char* k : {"3", "5"}) {
    r = run_ganflow("generate " + dir + "/imported --class " + std::string(k) + " --n 4 --seed 1 --format pt --out " + dir +
                    "/class" + k + ".pt");
    REQUIRE(r.exit_code == 0);
  }
  const torch::Tensor three = ganflow::load_pickle(dir + "/class3.pt").toTensor(),
                      five = ganflow::load_pickle(dir + "/class5.pt").toTensor();
  CHECK(three.sizes() == five.sizes());
  CHECK((three - five).abs().max().item<double>() > 1e-3);
}

namespace {
// The networks of tests/python/make_scripted_models.py (noise 16 -> [1, 16, 16]; critic -> [1]) in a fresh folder.
std::string scripted_models(const std::string& tag) {
  const std::string dir = scratch_dir(tag);
  auto r = run_python("make_scripted_models.py", {dir, "16"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return dir;
}

std::string script_node(const std::string& file, const std::string& input_shape, const std::string& output_shape) {
  return R"({"type": "torchscript_model", "params": {"file": ")" + file + R"(", "input_shape": )" + input_shape +
         R"(, "output_shape": )" + output_shape + "}}";
}
}  // namespace

TEST_CASE("ScriptedModule shares the script's tensors: an optimiser step and train/eval reach what the script computes",
          "[torchscript]") {
  const std::string dir = scripted_models("scripted_module");
  ganflow::ScriptedModule net(dir + "/res_generator.pt", "gen", "file");
  CHECK(net->n_inputs() == 1);
  CHECK(net->named_parameters().size() == net->script().named_parameters().size());
  CHECK(net->named_buffers().find("bn.running_mean"));
  net->eval();
  CHECK_FALSE(net->script().is_training());
  torch::manual_seed(0);
  const torch::Tensor z = torch::randn({4, 16, 1, 1});
  torch::Tensor before = net->forward({z}).detach();
  torch::optim::SGD opt(net->parameters(), 0.1);
  net->forward({z}).square().mean().backward();
  int64_t with_grad = 0;
  for (const auto& p : net->parameters()) with_grad += p.grad().defined();
  CHECK(with_grad == int64_t(net->parameters().size()));
  opt.step();
  CHECK_FALSE(torch::allclose(net->forward({z}), before));
  // Train mode: BatchNorm normalises with the batch and moves the running statistics the optimiser's module sees.
  net->train();
  CHECK(net->script().is_training());
  const torch::Tensor mean_before = net->named_buffers()["bn.running_mean"].clone();
  net->forward({z});
  CHECK_FALSE(torch::equal(net->named_buffers()["bn.running_mean"], mean_before));
}

namespace {
// How often `op` appears in the forward graphs of `m` and its submodules.
int64_t op_count(const torch::jit::Module& m, const std::string& op) {
  int64_t n = 0;
  for (const auto& sub : m.modules())
    if (auto method = sub.find_method("forward")) {
      const std::string g = method->graph()->toString();
      for (auto at = g.find(op); at != std::string::npos; at = g.find(op, at + 1)) ++n;
    }
  return n;
}
}  // namespace

TEST_CASE("an imported network's transposed convolutions take ganflow's fast path, and its export needs no ganflow",
          "[torchscript]") {
  const std::string dir = scripted_models("scripted_fast_path");
  ganflow::ScriptedModule net(dir + "/dcgan_generator.pt", "gen", "file");
  CHECK(op_count(net->script(), "ganflow::conv_transpose2d") == 3);
  CHECK(op_count(net->script(), "aten::conv_transpose2d") == 0);
  // The same forward and gradients as the file run by torch::jit::load alone.
  torch::jit::Module stock = torch::jit::load(dir + "/dcgan_generator.pt");
  REQUIRE(op_count(stock, "aten::conv_transpose2d") == 3);
  const torch::Tensor z = torch::randn({4, 16, 1, 1});
  const torch::Tensor y = net->forward({z}), want = stock.forward({z}).toTensor();
  CHECK(torch::allclose(y, want, 1e-4, 1e-5));
  (y * want.detach()).sum().backward();
  stock.forward({z}).toTensor().mul(want.detach()).sum().backward();
  int64_t compared = 0;
  const auto stock_params = stock.named_parameters();
  for (const auto& p : stock_params) {
    INFO(p.name);
    const torch::Tensor* mine = net->named_parameters().find(p.name);
    REQUIRE(mine);
    // The two ops sum in different orders, and BatchNorm over 4 images amplifies that: the
    // error scales with the gradient's largest entry, not with each entry (an unseeded run
    // once failed elementwise 1e-5 on entries near zero).
    const double scale = p.value.grad().abs().max().item<double>();
    CHECK(torch::allclose(mine->grad(), p.value.grad(), 1e-4, 1e-4 * scale));
    ++compared;
  }
  CHECK(compared == 8);  // three convolutions (the last with a bias) and two BatchNorms

  // Exported: aten's op again, in a file Python loads without ganflow; the network keeps the fast op.
  torch::jit::Module exported = ganflow::to_torchscript(*net, "gen");
  CHECK(op_count(exported, "ganflow::") == 0);
  CHECK(op_count(exported, "aten::conv_transpose2d") == 3);
  CHECK(op_count(net->script(), "ganflow::conv_transpose2d") == 3);
  exported.save(dir + "/exported.pt");
  auto r = run_shell(shell_quote(test_python()) + " -c \"import torch; g = torch.jit.load('" + dir +
                     "/exported.pt'); print(tuple(g(torch.randn(2, 16, 1, 1)).shape))\"");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("(2, 1, 16, 16)"));
}

TEST_CASE("torchscript_model refuses a file that is not TorchScript, a module without forward, the wrong arity and a "
          "shape that does not fit, naming the node and file",
          "[torchscript]") {
  const std::string dir = scripted_models("scripted_errors");
  auto error_of = [&](const std::string& file, const std::string& extra = "", const std::string& in = "[1, 16, 16]",
                      const std::string& out = "[1]") {
    std::string node = script_node(dir + "/" + file, in, out);
    if (!extra.empty()) node.insert(node.size() - 2, ", " + extra);
    std::string e = build_error(R"({"critic": )" + node + "}");
    CHECK(e.find('\n') == std::string::npos);
    return e;
  };
  CHECK_THAT(error_of("missing.pt"), Catch::Contains("critic") && Catch::Contains("missing.pt: no such file"));
  CHECK_THAT(error_of("state_dict.pt"),
             Catch::Contains("critic") && Catch::Contains("state_dict.pt: not a TorchScript file"));
  CHECK_THAT(error_of("no_forward.pt"), Catch::Contains("no_forward.pt: the TorchScript module has no forward method"));
  CHECK_THAT(error_of("res_critic.pt", R"("n_classes": 3)"),
             Catch::Contains("res_critic.pt: its forward takes 1 inputs; with n_classes it must take (x, labels)"));
  CHECK_THAT(error_of("res_critic.pt", "", "[1, 16, 16]", "[1, 1]"),
             Catch::Contains("critic") && Catch::Contains("output_shape") &&
                 Catch::Contains("res_critic.pt: forward of [2, 1, 16, 16] gives [2, 1], the graph expects [2, 1, 1]"));
  CHECK_THAT(error_of("res_critic.pt", "", "[3, 16, 16]"),
             Catch::Contains("input_shape") && Catch::Contains("res_critic.pt: forward failed"));
  CHECK(error_of("res_critic.pt").empty());
}

TEST_CASE("torchscript_model trains a generator and a critic written in PyTorch, and the result exports and loads back in "
          "Python",
          "[torchscript][learning]") {
  const std::string dir = scripted_models("scripted_train");
  json g = gantest::tiny_dcgan({"scripted", 3, 2048, 32, 16, 16, 1},
                               {{"epochs", 5}, {"log_every", 20}, {"switch_eval", false}});  // 320 steps
  g["nodes"]["images"]["params"]["size"] = 16;
  g["nodes"]["images"]["params"]["fit"] = "resize";
  g["nodes"]["generator"] = json::parse(script_node(dir + "/res_generator.pt", "[16, 1, 1]", "[1, 16, 16]"));
  g["nodes"]["critic"] = json::parse(script_node(dir + "/res_critic.pt", "[1, 16, 16]", "[1]"));
  g["device"] = "cpu";
  g["threads"] = 1;
  auto built = gantest::run_graph(g.dump(), dir + "/run", torch::kCPU);

  // The losses: finite at every logged step.
  int64_t steps = 0;
  std::ifstream metrics(dir + "/run/metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) {
    json rec = json::parse(line);
    if (rec.value("kind", "") != "step") continue;
    ++steps;
    for (const auto& [key, value] : rec.items())
      if (value.is_number_float()) CHECK(std::isfinite(value.get<double>()));
  }
  CHECK(steps >= 10);

  // What it draws, before training (the scripted file itself) and after, on batch statistics
  // as trained: the mean image moves towards the data's.
  torch::NoGradGuard ng;
  const torch::Tensor real = gantest::real_images(dynamic_cast<ganflow::ItemSource&>(*built.nodes.at("images")), 512, 16);
  torch::jit::Module initial = torch::jit::load(dir + "/res_generator.pt");
  initial.train();
  auto& trained = dynamic_cast<ganflow::Model&>(*built.nodes.at("generator"));
  trained.module().train();
  torch::manual_seed(5);
  const torch::Tensor z = torch::randn({512, 16, 1, 1});
  const double d_before = gantest::mean_image_distance(initial.forward({z}).toTensor(), real);
  const double d_after = gantest::mean_image_distance(trained.forward(z), real);
  INFO("mean-image RMS distance to real: before " << d_before << ", after " << d_after);
  CHECK(d_after < 0.5 * d_before);

  // Exported again: Python loads it with torch.jit.load and draws what generate draws.
  auto r = run_ganflow("export " + dir + "/run --out " + dir + "/trained.pt");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  r = run_ganflow("generate " + dir + "/run --n 6 --seed 5 --format pt --out " + dir + "/x.pt");
  REQUIRE(r.exit_code == 0);
  auto py = run_python("check_export.py", {dir + "/trained.pt", dir + "/x.pt", "5", "6", "16", "-1"});
  INFO(py.output);
  CHECK(py.exit_code == 0);
  CHECK_THAT(py.output, Catch::Contains("OK"));
}
