// diff_augment and ada: the transforms against the paper's PyTorch code (tests/python/
// check_augment.py), their gradients against finite differences, ADA's p rule on scripted
// critic scores, and what the GAN stage hands its critic with an augmentation on.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

#include "ganflow/critic_augment.hpp"
#include "gan_harness.hpp"
#include "test_support.hpp"
#include "test_switchers_trainer.hpp"

using namespace ganflow;
using namespace ganflow::test;

namespace {
struct AugmentRig {
  std::shared_ptr<Callback> cb;
  CriticAugment* aug = nullptr;
};

AugmentRig rig(const std::string& type, const std::string& params) {
  AugmentRig r{build_one<Callback>(type, params)};
  r.aug = dynamic_cast<CriticAugment*>(r.cb.get());
  REQUIRE(r.aug);
  return r;
}

const std::vector<std::string> kPolicies = {"color", "translation", "cutout"};

struct AugmentCase {
  std::vector<int64_t> policy;  // indices into kPolicies
  double p;
};

std::string policy_json(const std::vector<int64_t>& policy) {
  json j = json::array();
  for (int64_t i : policy) j.push_back(kPolicies[i]);
  return j.dump();
}
}  // namespace

TEST_CASE("diff_augment's transforms compute what the paper's PyTorch code computes on fixed inputs and draws",
          "[augment][pytorch]") {
  const std::vector<AugmentCase> cases = {{{0}, 1.0}, {{1}, 1.0}, {{2}, 1.0}, {{0, 1, 2}, 1.0}, {{2, 1, 0}, 0.5}, {{0, 1, 2}, 0.3}};
  std::map<std::string, torch::Tensor> t;
  torch::manual_seed(3);
  // Not square, so a swapped axis shows.
  t["x"] = torch::randn({5, 3, 12, 16}).tanh();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const AugmentCase& c = cases[i];
    AugmentRig r = rig("diff_augment", R"({"policy": )" + policy_json(c.policy) + R"(, "p": )" + std::to_string(c.p) + "}");
    const std::string k = "case" + std::to_string(i) + ".";
    t[k + "policy"] = torch::tensor(c.policy);
    t[k + "p"] = torch::tensor(c.p, torch::kFloat64);
    t[k + "seed"] = torch::tensor(int64_t(100 + i));
    torch::manual_seed(100 + i);
    t[k + "out"] = r.aug->augment(t["x"]);
    CHECK_FALSE(torch::equal(t[k + "out"], t["x"]));  // the transform did something
  }
  std::string file = scratch_dir("augment") + "/tensors.pt";
  save_tensors(file, t);
  auto res = run_python("check_augment.py", {file});
  INFO(res.output);
  CHECK(res.exit_code == 0);
  CHECK_THAT(res.output, Catch::Contains("OK " + std::to_string(cases.size()) + " checks"));
}

TEST_CASE("diff_augment's transforms are differentiable: the gradient matches central differences in float64",
          "[augment]") {
  torch::manual_seed(4);
  const torch::Tensor x0 = torch::randn({2, 2, 6, 8}, torch::kFloat64);
  int checked = 0;
  for (const std::string& policy : {R"(["color"])", R"(["translation"])", R"(["cutout"])", R"(["color", "translation", "cutout"])"}) {
    for (double p : {1.0, 0.5}) {
      INFO(policy << " p " << p);
      AugmentRig r = rig("diff_augment", R"({"policy": )" + std::string(policy) + R"(, "p": )" + std::to_string(p) + "}");
      auto f = [&](const torch::Tensor& x) {
        torch::manual_seed(11);  // the same draws on every evaluation
        torch::Tensor out = r.aug->augment(x);
        torch::manual_seed(12);
        return (out * torch::randn(out.sizes(), out.options())).sum();
      };
      torch::Tensor x = x0.clone().requires_grad_(true);
      torch::Tensor analytic = torch::autograd::grad({f(x)}, {x})[0];
      torch::Tensor numeric = torch::zeros_like(x0);
      const double eps = 1e-6;
      auto flat = numeric.view(-1);
      for (int64_t i = 0; i < x0.numel(); ++i) {
        torch::Tensor up = x0.clone(), down = x0.clone();
        up.view(-1)[i] += eps;
        down.view(-1)[i] -= eps;
        flat[i] = (f(up).item<double>() - f(down).item<double>()) / (2 * eps);
      }
      CHECK((analytic - numeric).abs().max().item<double>() < 1e-6);
      CHECK(analytic.abs().sum().item<double>() > 0);
      ++checked;
    }
  }
  CHECK(checked == 8);
}

TEST_CASE("ada: p follows sign(r_t - target) every interval critic steps at speed_kimg, clamped to [0, 1]", "[augment]") {
  // 16 images a step, interval 2: each adjustment is 32 / 64 = 0.5.
  AugmentRig r = rig("ada", R"({"target": 0.6, "interval": 2, "speed_kimg": 0.064})");
  ScriptedTrainer t;
  t.bs = 16;
  t.begin({r.cb.get()});
  CHECK(r.aug->probability() == 0);
  // Each critic step's scores: `pos` of 16 positive, the rest negative.
  auto step = [&](int pos) {
    torch::Tensor pred = torch::cat({torch::full({pos, 1}, 2.0), torch::full({16 - pos, 1}, -3.0)});
    r.aug->observe_real(pred);
    t.batch({r.cb.get()}, 0.1);
    return r.aug->probability();
  };
  CHECK(step(16) == 0);    // mid-interval: unchanged
  CHECK(step(16) == 0.5);  // r_t = 1 > 0.6
  CHECK(step(0) == 0.5);
  CHECK(step(0) == 0);     // r_t = -1
  step(12);
  CHECK(step(12) == 0);    // r_t = 0.5 < 0.6: down, clamped at 0
  step(14);
  CHECK(step(14) == 0.5);  // r_t = 0.75
  step(16);
  CHECK(step(16) == 1);
  step(16);
  CHECK(step(16) == 1);    // clamped at 1
  t.recorded.clear();
  r.cb->on_epoch_end(t);
  CHECK(t.recorded.at("ada_rt") == 1.0);

  // A scripted epoch with r_t exactly at the target leaves p alone.
  AugmentRig at = rig("ada", R"({"target": 0.5, "interval": 1, "p_init": 0.25})");
  ScriptedTrainer ta;
  ta.begin({at.cb.get()});
  at.aug->observe_real(torch::cat({torch::full({12, 1}, 1.0), torch::full({4, 1}, -1.0)}));
  ta.batch({at.cb.get()}, 0.1);
  CHECK(at.aug->probability() == 0.25);
}

TEST_CASE("ada: p and a half-done interval survive a checkpoint round trip", "[augment]") {
  AugmentRig a = rig("ada", R"({"interval": 3, "speed_kimg": 0.01})");
  ScriptedTrainer t;
  t.begin({a.cb.get()});
  torch::Tensor up = torch::ones({16, 1}), down = -torch::ones({16, 1});
  for (int i = 0; i < 3; ++i) a.aug->observe_real(up), t.batch({a.cb.get()}, 0.1);
  a.aug->observe_real(up), t.batch({a.cb.get()}, 0.1);  // one step into the next interval
  const double p = a.aug->probability();
  CHECK(p > 0);
  AugmentRig b = rig("ada", R"({"interval": 3, "speed_kimg": 0.01})");
  b.cb->load_state(json::parse(a.cb->state().dump()));
  CHECK(b.aug->probability() == p);
  ScriptedTrainer tb;
  tb.begin({b.cb.get()});
  // Two more steps of mostly negative scores complete the interval on both: r_t = (16 - 32) / 48 < 0.6.
  for (auto* rig : {&a, &b})
    for (int i = 0; i < 2; ++i) rig->aug->observe_real(down), (rig == &a ? t : tb).batch({rig->cb.get()}, 0.1);
  CHECK(a.aug->probability() == b.aug->probability());
  CHECK(a.aug->probability() < p);
}

TEST_CASE("the GAN stage puts every image its critic sees through the augmentation, with the generator's graph",
          "[augment][gan]") {
  for (bool augmented : {true, false}) {
    INFO("augmented " << augmented);
    std::string dir = gantest::temp_dir(augmented ? "augment_critic" : "augment_critic_off");
    json g = gantest::tiny_dcgan({"augment", 5, 128, 16, 16, 8, 1}, {{"epochs", 1}, {"max_batches", 6}, {"show_img", false}});
    g["nodes"]["spy_critic"] = {{"type", "spy_critic"}, {"inputs", {{"critic", "critic"}}}, {"params", {{"out", dir + "/calls.json"}}}};
    g["nodes"]["train"]["inputs"]["critic"] = "spy_critic";
    if (augmented) {
      g["nodes"]["cutout"] = {{"type", "diff_augment"}, {"params", {{"policy", {"cutout"}}}}};
      g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"cutout"});
    }
    gantest::run_graph(g.dump(), dir + "/run");
    json calls = gantest::read_json(dir + "/calls.json")["calls"];
    // 3 critic batches (real and fake) and 3 generator batches (fake) at 1:1.
    REQUIRE(calls.size() == 9);
    int with_graph = 0;
    for (auto& c : calls) {
      // Cutout zeroes at least an 8 x 8 square of each 32 x 32 image (a quarter, less at the borders).
      if (augmented) CHECK(c["zero_share"].get<double>() >= 64.0 / 1024);
      else CHECK(c["zero_share"].get<double>() < 0.01);
      with_graph += c["requires_grad"].get<bool>();
    }
    CHECK(with_graph == 3);  // the generator's fakes in its own steps
    if (!augmented) continue;
    json last;
    std::ifstream f(dir + "/run/metrics.jsonl");
    for (std::string line; std::getline(f, line);)
      if (json rec = json::parse(line); rec.value("kind", "") == "epoch") last = rec;
    CHECK(last["augment_p"] == 1.0);
    CHECK(last.contains("real_score"));
    CHECK(last.contains("fake_score"));
  }
}

TEST_CASE("ada moves p at the end of the critic step whose scores complete its interval", "[augment][gan]") {
  gantest::TempDir dir("ada_order");
  json g = gantest::tiny_dcgan({"ada_order", 5, 128, 16, 16, 8, 1},
                               {{"epochs", 1}, {"max_batches", 2}, {"show_img", false}, {"log_every", 1}, {"checkpoint_every", 0}});
  // Interval 1 at 16 images a step: each critic step moves p by 16 / 160 = 0.1, up or down.
  g["nodes"]["ada"] = {{"type", "ada"}, {"params", {{"interval", 1}, {"p_init", 0.5}, {"speed_kimg", 0.16}}}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"ada"});
  gantest::run_graph(g.dump(), dir.str());
  std::vector<double> p;
  for (const json& rec : gantest::run_records(dir.str(), "step")) p.push_back(rec["augment_p"].get<double>());
  REQUIRE(p.size() == 2);
  CHECK(std::abs(p[0] - 0.5) == Approx(0.1));  // the first (critic) step's own scores
  CHECK(p[1] == p[0]);                         // a generator step shows ADA nothing
}

TEST_CASE("augmentation bad input: an unknown policy, an ADA target outside (0, 1), two augmentations in one stage",
          "[augment]") {
  CHECK_THAT(build_error(R"({"a": {"type": "diff_augment", "params": {"policy": ["color", "zoom"]}}})"),
             Catch::Contains("/nodes/a/params/policy/1"));
  CHECK_THAT(build_error(R"({"a": {"type": "diff_augment", "params": {"policy": []}}})"), Catch::Contains("/nodes/a/params/policy"));
  CHECK_THAT(build_error(R"({"a": {"type": "ada", "params": {"target": 1.0}}})"), Catch::Contains("/nodes/a/params/target"));
  CHECK_THAT(build_error(R"({"a": {"type": "ada", "params": {"target": 0}}})"), Catch::Contains("/nodes/a/params/target"));
  std::string dir = gantest::temp_dir("augment_twice");
  json g = gantest::tiny_dcgan({"augment_twice", 5, 64, 16, 16, 8, 1}, {{"epochs", 1}, {"max_batches", 2}});
  g["nodes"]["a1"] = {{"type", "diff_augment"}};
  g["nodes"]["a2"] = {{"type", "ada"}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"a1", "a2"});
  try {
    gantest::run_graph(g.dump(), dir);
    FAIL("two augmentations ran");
  } catch (const Error& e) {
    CHECK(e.node() == "train");
    CHECK_THAT(e.what(), Catch::Contains("more than one augmentation callback"));
  }
}
