// fastai GAN semantics, observed through a spy callback on the real trainer, real plugins
// and real Fashion-MNIST data (a small subset, tiny networks).
#include <catch2/catch.hpp>
#include <cmath>

#include "gan_harness.hpp"

using ganflow::json;

namespace {

json tiny_gan(const std::string& dir, json train_params, json switcher, json extra_nodes = json::object(),
              json extra_callbacks = json::array()) {
  json g = json::parse(R"({
    "name": "semantics", "seed": 7, "threads": 2,
    "nodes": {
      "images": {"type": "fashion_mnist", "params": {"split": "train", "size": 32, "limit": 512}},
      "noise": {"type": "noisy_item", "params": {"noise_sz": 16}},
      "data": {"type": "gan_item_list", "inputs": {"x": "noise", "y": "images"}, "params": {"bs": 16, "threads": 1}},
      "generator": {"type": "basic_generator", "params": {"out_size": 32, "n_channels": 1, "noise_sz": 16, "n_features": 8}},
      "critic": {"type": "basic_critic", "params": {"in_size": 32, "n_channels": 1, "n_features": 8}},
      "bce": {"type": "bce_with_logits"},
      "bce_patch": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
      "gen_loss": {"type": "gan_gen_loss", "inputs": {"loss_crit": "bce_patch"}, "params": {"weights_gen": [1.0, 0.0]}},
      "crit_loss": {"type": "gan_crit_loss", "inputs": {"loss_crit": "bce_patch"}},
      "spy": {"type": "spy", "inputs": {"generator": "generator", "critic": "critic"}},
      "train": {"type": "gan", "inputs": {"data": "data", "generator": "generator", "critic": "critic",
                "gen_loss": "gen_loss", "crit_loss": "crit_loss", "switcher": "switcher", "callbacks": ["spy"]},
                "params": {"epochs": 1, "max_batches": 12, "lr": 2e-4, "betas": [0.5, 0.99], "wd": 0.0, "show_img": false}}
    }})");
  g["nodes"]["spy"]["params"]["out"] = dir + "/spy.json";
  g["nodes"]["switcher"] = switcher;
  for (auto it = train_params.begin(); it != train_params.end(); ++it) g["nodes"]["train"]["params"][it.key()] = it.value();
  for (auto it = extra_nodes.begin(); it != extra_nodes.end(); ++it) g["nodes"][it.key()] = it.value();
  for (auto& cb : extra_callbacks) g["nodes"]["train"]["inputs"]["callbacks"].push_back(cb);
  return g;
}

json fixed(int n_crit, int n_gen) {
  return {{"type", "fixed_gan_switcher"}, {"params", {{"n_crit", n_crit}, {"n_gen", n_gen}}}};
}

std::string modes(const json& spy) {
  std::string s;
  for (auto& b : spy["batches"]) s += b["gen_mode"].get<bool>() ? 'G' : 'C';
  return s;
}

json run(const std::string& name, const json& graph) {
  std::string dir = gantest::temp_dir(name);
  json g = graph;
  g["nodes"]["spy"]["params"]["out"] = dir + "/spy.json";
  gantest::run_graph(g.dump(), dir);
  json spy = gantest::read_json(dir + "/spy.json");
  // Every training batch is recorded, so the tests' loops over them cannot pass empty.
  const json& train = g["nodes"]["train"]["params"];
  REQUIRE(spy["batches"].size() == train["epochs"].get<std::size_t>() * train["max_batches"].get<std::size_t>());
  spy["dir"] = dir;
  return spy;
}

}  // namespace

TEST_CASE("FixedGANSwitcher 5:1 starts with the critic: CCCCCG...", "[gan]") {
  json spy = run("fixed51", tiny_gan("", json::object(), fixed(5, 1)));
  CHECK(modes(spy) == "CCCCCGCCCCCG");
}

TEST_CASE("FixedGANSwitcher 1:1 alternates, gen_first starts with the generator", "[gan]") {
  CHECK(modes(run("fixed11", tiny_gan("", json::object(), fixed(1, 1)))) == "CGCGCGCGCGCG");
  CHECK(modes(run("genfirst", tiny_gan("", {{"gen_first", true}}, fixed(1, 1)))) == "GCGCGCGCGCGC");
}

TEST_CASE("the idle network is frozen: no grads, no change, requires_grad false", "[gan]") {
  json spy = run("frozen", tiny_gan("", json::object(), fixed(2, 1)));
  for (auto& b : spy["batches"]) {
    CHECK_FALSE(b["idle_requires_grad"].get<bool>());
    CHECK_FALSE(b["idle_has_grad"].get<bool>());
    // Adam with momentum: a single optimiser over both networks (fastai v2) would move the
    // idle one; two optimisers where only the active steps (v1) never do.
    CHECK_FALSE(b["idle_changed"].get<bool>());
  }
}

TEST_CASE("switch_eval puts the idle network in eval mode, off keeps both training", "[gan]") {
  json on = run("eval_on", tiny_gan("", {{"switch_eval", true}}, fixed(1, 1)));
  for (auto& b : on["batches"]) {
    bool gen = b["gen_mode"];
    CHECK(b["gen_training"].get<bool>() == gen);
    CHECK(b["crit_training"].get<bool>() == !gen);
  }
  json off = run("eval_off", tiny_gan("", {{"switch_eval", false}}, fixed(1, 1)));
  for (auto& b : off["batches"]) CHECK((b["gen_training"].get<bool>() && b["crit_training"].get<bool>()));
}

TEST_CASE("clip bounds every critic parameter before each training batch", "[gan]") {
  json spy = run("clip", tiny_gan("", {{"clip", 0.01}}, fixed(5, 1)));
  for (auto& b : spy["batches"]) CHECK(b["crit_max_abs"].get<double>() <= 0.01 + 1e-7);
}

TEST_CASE("G and C losses are smoothed separately with the debiased EMA", "[gan]") {
  json spy = run("smooth", tiny_gan("", json::object(), fixed(1, 1)));
  double beta = 0.98, mg = 0, mc = 0, ma = 0;
  int ng = 0, nc = 0, na = 0;
  for (auto& b : spy["batches"]) {
    double l = b["loss"];
    if (b["gen_mode"].get<bool>()) mg = beta * mg + (1 - beta) * l, ++ng;
    else mc = beta * mc + (1 - beta) * l, ++nc;
    ma = beta * ma + (1 - beta) * l, ++na;
  }
  REQUIRE((ng > 0 && nc > 0));
  std::ifstream f(spy["dir"].get<std::string>() + "/metrics.jsonl");
  json epoch;
  for (std::string line; std::getline(f, line);) {
    json r = json::parse(line);
    if (r["kind"] == "epoch") epoch = r;
  }
  REQUIRE(!epoch.is_null());
  CHECK(epoch["gen_loss"].get<double>() == Approx(mg / (1 - std::pow(beta, ng))).epsilon(1e-6));
  CHECK(epoch["crit_loss"].get<double>() == Approx(mc / (1 - std::pow(beta, nc))).epsilon(1e-6));
  CHECK(epoch["train_loss"].get<double>() == Approx(ma / (1 - std::pow(beta, na))).epsilon(1e-6));
}

TEST_CASE("every epoch row in metrics.jsonl records resident and peak memory", "[gan]") {
  json spy = run("memory", tiny_gan("", {{"epochs", 2}}, fixed(1, 1)));
  std::ifstream f(spy["dir"].get<std::string>() + "/metrics.jsonl");
  int epochs = 0;
  for (std::string line; std::getline(f, line);) {
    json r = json::parse(line);
    if (r["kind"] != "epoch") continue;
    ++epochs;
    CHECK(r["rss_mb"].get<double>() > 10);
    CHECK(r["rss_anon_mb"].get<double>() > 10);
    CHECK(r["peak_rss_mb"].get<double>() >= r["rss_mb"].get<double>() - 1);
  }
  CHECK(epochs == 2);
}

TEST_CASE("GANDiscriminativeLR multiplies the lr on critic steps only and restores it", "[gan]") {
  json g = tiny_gan("", json::object(), fixed(1, 1),
                    {{"disc_lr", {{"type", "gan_discriminative_lr"}, {"params", {{"mult_lr", 5.0}}}}}}, {"disc_lr"});
  json spy = run("disclr", g);
  for (auto& b : spy["batches"]) {
    double lr = b["lr_end"];
    CHECK(lr == Approx(2e-4));
    if (b["gen_mode"].get<bool>()) CHECK(b["lr_step"].get<double>() == Approx(2e-4));
  }
  // The spy runs after the callback at batch begin, so it sees the multiplied lr there.
  for (auto& b : spy["batches"])
    if (!b["gen_mode"].get<bool>()) CHECK(b["lr_begin"].get<double>() == Approx(1e-3));
}

TEST_CASE("GANDiscriminativeLR keeps working under a one-cycle schedule", "[gan]") {
  json g = tiny_gan("", {{"schedule", "one_cycle"}}, fixed(1, 1),
                    {{"disc_lr", {{"type", "gan_discriminative_lr"}, {"params", {{"mult_lr", 5.0}}}}}}, {"disc_lr"});
  json spy = run("disclr_1cycle", g);
  auto& bs = spy["batches"];
  for (std::size_t i = 0; i < bs.size(); ++i)
    if (!bs[i]["gen_mode"].get<bool>()) CHECK(bs[i]["lr_begin"].get<double>() == Approx(5 * bs[i]["lr_end"].get<double>()));
}

TEST_CASE("a generator loss that asks gets the frozen critic's scores of the real batch, without a graph", "[gan]") {
  for (bool asks : {true, false}) {
    INFO("needs_real_pred " << asks);
    std::string name = asks ? "gen_loss_real" : "gen_loss_no_real";
    json g = tiny_gan("", json::object(), fixed(1, 1));
    std::string out = gantest::temp_dir(name + "_calls") + "/calls.json";
    g["nodes"]["gen_loss"] = {{"type", "spy_gen_loss"}, {"params", {{"out", out}, {"needs_real_pred", asks}}}};
    json spy = run(name, g);
    json calls = gantest::read_json(out)["calls"];
    REQUIRE(calls.size() == 6);  // the generator batches of 12 at 1:1
    for (auto& c : calls) {
      CHECK(c["fake_requires_grad"].get<bool>());
      CHECK(c["real_pred"].get<bool>() == asks);
      if (!asks) continue;
      CHECK_FALSE(c["real_pred_requires_grad"].get<bool>());
      CHECK(c["real_pred_is_critic_of_real"].get<bool>());
    }
  }
}

TEST_CASE("the RaGAN pair trains through the GAN stage with finite losses", "[gan]") {
  json g = tiny_gan("", json::object(), fixed(1, 1),
                    {{"gen_loss", {{"type", "ragan_gen"}}}, {"crit_loss", {{"type", "ragan_crit"}}}});
  json spy = run("ragan", g);
  for (auto& b : spy["batches"]) CHECK(std::isfinite(b["loss"].get<double>()));
}

TEST_CASE("R3GAN's loss, RpGAN with R1 and R2, trains through the GAN stage with finite losses", "[gan]") {
  json g = tiny_gan("", json::object(), fixed(1, 1),
                    {{"gen_loss", {{"type", "rpgan_gen"}}},
                     {"rpgan", {{"type", "rpgan_crit"}}},
                     {"r1", {{"type", "r1"}, {"params", {{"gamma", 0.5}}}, {"inputs", {{"base", "rpgan"}}}}},
                     {"crit_loss", {{"type", "r2"}, {"params", {{"gamma", 0.5}}}, {"inputs", {{"base", "r1"}}}}}});
  json spy = run("r3gan", g);
  int crit_batches = 0;
  for (auto& b : spy["batches"]) {
    CHECK(std::isfinite(b["loss"].get<double>()));
    if (!b["gen_mode"].get<bool>()) {
      ++crit_batches;
      CHECK(b["loss"].get<double>() > 0);  // softplus and two squared norms
    }
  }
  CHECK(crit_batches == 6);
}

TEST_CASE("learner validation batches dispatch batch events with training() false, and no step", "[gan]") {
  std::string dir = gantest::temp_dir("learner_events");
  json g = json::parse(R"({"seed": 5, "threads": 2, "nodes": {
    "train_images": {"type": "fashion_mnist", "params": {"split": "train", "size": 32, "limit": 256}},
    "test_images": {"type": "fashion_mnist", "params": {"split": "test", "size": 32, "limit": 64}},
    "train_data": {"type": "item_list", "inputs": {"x": "train_images"}, "params": {"bs": 32, "target": "label", "threads": 1}},
    "test_data": {"type": "item_list", "inputs": {"x": "test_images"},
                  "params": {"bs": 32, "target": "label", "shuffle": false, "drop_last": false, "threads": 1}},
    "classifier": {"type": "fmnist_classifier", "params": {"feature_dim": 8}},
    "ce": {"type": "cross_entropy"},
    "switcher": {"type": "fixed_gan_switcher"},
    "counter": {"type": "event_counter"},
    "fit": {"type": "learner", "inputs": {"data": "train_data", "valid": "test_data", "model": "classifier", "loss": "ce",
            "callbacks": ["switcher", "counter"]}, "params": {"epochs": 2}}}})");
  g["nodes"]["counter"]["params"]["out"] = dir + "/events.json";
  gantest::run_graph(g.dump(), dir);
  json counts = gantest::read_json(dir + "/events.json");
  INFO(counts.dump());
  // 2 epochs: 8 training batches and 2 validation batches each; a switcher in a learner is inert.
  CHECK(counts.value("begin_train", 0) == 16);
  CHECK(counts.value("step_train", 0) == 16);
  CHECK(counts.value("end_train", 0) == 16);
  CHECK(counts.value("begin_valid", 0) == 4);
  CHECK(counts.value("end_valid", 0) == 4);
  CHECK_FALSE(counts.contains("step_valid"));
  CHECK_FALSE(counts.contains("no_loss_valid"));  // the validation batch's loss is there for callbacks
  CHECK_FALSE(counts.contains("no_loss_train"));
}

namespace {
// fastai v1's one-cycle as a factor of the base lr: cosine from 1/25 up to 1 over
// floor(0.3 * total) steps, then cosine down to 1/25e4.
double one_cycle_factor(int64_t step, int64_t total) {
  auto cos_anneal = [](double a, double b, double pct) { return b + (a - b) / 2 * (std::cos(M_PI * pct) + 1); };
  const double up = std::floor(0.3 * double(total));
  if (double(step) < up) return cos_anneal(1.0 / 25, 1.0, double(step) / up);
  return cos_anneal(1.0, 1.0 / 25e4, (double(step) - up) / (double(total) - up));
}

// The lines of the GraphError that validating `g` raises ("" when it is valid).
std::string graph_error(const json& g) {
  try {
    ganflow::SessionOptions o;
    o.graph_text = g.dump();
    ganflow::Session s(o, gantest::registry());
  } catch (const ganflow::GraphError& e) {
    std::string all;
    for (auto& l : e.lines()) all += l + "\n";
    return all;
  }
  return "";
}
}  // namespace

TEST_CASE("TTUR: each network's optimiser follows the one-cycle schedule from its own base lr", "[gan]") {
  json g = tiny_gan("", {{"schedule", "one_cycle"}, {"lr_gen", 1e-4}, {"lr_crit", 4e-4}, {"betas_crit", {0.0, 0.9}}}, fixed(1, 1));
  json spy = run("ttur", g);
  auto& bs = spy["batches"];
  int g_steps = 0, c_steps = 0;
  for (std::size_t i = 0; i < bs.size(); ++i) {
    INFO("step " << i);
    const bool gen = bs[i]["gen_mode"].get<bool>();
    CHECK(bs[i]["lr_step"].get<double>() == Approx((gen ? 1e-4 : 4e-4) * one_cycle_factor(int64_t(i), 12)).epsilon(1e-9));
    (gen ? g_steps : c_steps)++;
  }
  CHECK((g_steps == 6 && c_steps == 6));
  // The saved graph holds the values that ran; the shared ones fill what was not given.
  json saved = gantest::read_json(spy["dir"].get<std::string>() + "/graph.json")["nodes"]["train"]["params"];
  CHECK(saved["lr_gen"] == 1e-4);
  CHECK(saved["lr_crit"] == 4e-4);
  CHECK(saved["betas_gen"] == json({0.5, 0.99}));
  CHECK(saved["betas_crit"] == json({0.0, 0.9}));
  CHECK(saved["wd_gen"] == 0.0);
  std::ifstream log(spy["dir"].get<std::string>() + "/log.txt");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("train: generator adam lr 0.0001 betas (0.5, 0.99) wd 0; critic adam lr 0.0004 betas (0, 0.9) wd 0"));

  // Without lr_gen / lr_crit both follow lr.
  json shared = run("ttur_shared", tiny_gan("", json::object(), fixed(1, 1)));
  for (auto& b : shared["batches"]) CHECK(b["lr_step"].get<double>() == Approx(2e-4));
}

TEST_CASE("TTUR bad input: betas of one value and a negative weight decay are refused naming the param", "[gan]") {
  CHECK_THAT(graph_error(tiny_gan("", {{"betas_gen", {0.5}}}, fixed(1, 1))),
             Catch::Contains("/nodes/train/params/betas_gen: give two values"));
  CHECK_THAT(graph_error(tiny_gan("", {{"wd_crit", -0.5}}, fixed(1, 1))), Catch::Contains("/nodes/train/params/wd_crit"));
  CHECK_THAT(graph_error(tiny_gan("", {{"lr_gen", -1.0}}, fixed(1, 1))), Catch::Contains("/nodes/train/params/lr_gen"));
  CHECK(graph_error(tiny_gan("", {{"wd_crit", 0.5}}, fixed(1, 1))).empty());
}
