// Graph parsing, validation (every error at once, with JSON pointers), overrides, build order.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ganflow/framework/graph/executor.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/loss.hpp"
#include "ganflow/model.hpp"
#include "ganflow/stage.hpp"

namespace fs = std::filesystem;
using namespace ganflow;

namespace {
// Node types declared here exercise the validator; their objects are real but trivial.
struct TLoss : Loss {
  torch::Tensor forward(const torch::Tensor& o, const torch::Tensor& t) override { return (o - t).abs().mean(); }
};
struct TStage : Stage {
  void run(RunContext&) override {}
};
// The seed each t_seed node was built with, by node name (the last build wins).
std::map<std::string, uint64_t>& seeds_seen() {
  static std::map<std::string, uint64_t> seen;
  return seen;
}

HostRegistry& test_registry() {
  static HostRegistry reg = [] {
    HostRegistry r;
    r.set_current_library("test");
    NodeSpec m("t_model", NodeKind::Model, "Test model.");
    m.param_int("size", 64, "Size.").at_least(8);
    m.param_float("dropout", 0.0, "Dropout.").range(0, 1);
    m.param_enum("act", {"relu", "leaky_relu"}, "relu", "Activation.");
    m.param_enum("fuse", {"auto", "true", "false"}, "auto", "On, off or the machine's choice.");
    m.param_bool("bias", false, "Bias.");
    m.param_list("betas", ParamType::Float, json::array({0.5, 0.99}), "Betas.").length(2);
    m.params.back().element->range(0, 1);
    ParamSpec kind;
    kind.name = "kind", kind.type = ParamType::String, kind.default_value = "normal";
    ParamSpec stdev;
    stdev.name = "std", stdev.type = ParamType::Float, stdev.default_value = 0.02;
    m.param("init", ParamType::Object, json::object(), "Init.").field(kind).field(stdev);
    m.input("feed", {NodeKind::Model}, "Another model.", false);
    m.factory = [](const BuildContext& c) {
      return std::make_shared<SequentialModel>(torch::nn::Sequential(torch::nn::Linear(c.params().i("size"), 1)));
    };
    r.add(std::move(m));
    NodeSpec l("t_loss", NodeKind::Loss, "Test loss.");
    l.factory = [](const BuildContext&) { return std::make_shared<TLoss>(); };
    r.add(std::move(l));
    NodeSpec seeded("t_seed", NodeKind::Loss, "Records the seed it is built with.");
    seeded.param_int("size", 1, "Ignored.");
    seeded.factory = [](const BuildContext& c) {
      seeds_seen()[c.node_name()] = c.seed();
      return std::make_shared<TLoss>();
    };
    r.add(std::move(seeded));
    NodeSpec s("t_stage", NodeKind::Stage, "Test stage.");
    s.param("epochs", ParamType::Int, nullptr, "Epochs.").at_least(1);
    s.input("model", {NodeKind::Model}, "Model.").input("loss", {NodeKind::Loss}, "Loss.");
    s.input("callbacks", {NodeKind::Callback}, "Callbacks.", false, true);
    s.factory = [](const BuildContext&) { return std::make_shared<TStage>(); };
    r.add(std::move(s));
    return r;
  }();
  return reg;
}

std::vector<std::string> problems(const std::string& text) {
  try {
    Graph g = parse_graph(text, "g.json");
    validate_graph(g, test_registry());
  } catch (const GraphError& e) {
    return e.lines();
  }
  return {};
}

const char* kGood = R"({"name": "good", "seed": 3, "nodes": {
  "gen": {"type": "t_model", "params": {"size": 32}},
  "loss": {"type": "t_loss"},
  "fit": {"type": "t_stage", "inputs": {"model": "gen", "loss": "loss"}, "params": {"epochs": 2}}}})";
}  // namespace

TEST_CASE("a good graph validates and every default is filled in", "[graph]") {
  Graph g = parse_graph(kGood);
  validate_graph(g, test_registry());
  const json& p = g.find("gen")->params;
  CHECK(p["size"] == 32);
  CHECK(p["act"] == "relu");
  CHECK(p["betas"] == json::array({0.5, 0.99}));
  CHECK(p["init"]["std"] == 0.02);  // nested object defaults too
  CHECK(g.to_json()["nodes"]["fit"]["inputs"]["model"] == "gen");
}

TEST_CASE("the graph's and the nodes' doc strings are kept in the saved graph", "[graph]") {
  Graph g = parse_graph(R"({"doc": "why this graph", "nodes": {
    "gen": {"type": "t_model", "doc": "small on purpose"}, "loss": {"type": "t_loss"}}})");
  validate_graph(g, test_registry());
  json saved = g.to_json();
  CHECK(saved["doc"] == "why this graph");
  CHECK(saved["nodes"]["gen"]["doc"] == "small on purpose");
  CHECK_FALSE(saved["nodes"]["loss"].contains("doc"));
  // and they survive the round trip a resumed run makes through graph.json
  CHECK(parse_graph(saved.dump()).to_json() == saved);
  CHECK(problems(R"({"nodes": {"loss": {"type": "t_loss", "doc": 3}}})") ==
        std::vector<std::string>{"/nodes/loss/doc: expected a string, got 3"});
}

TEST_CASE("every malformed graph in the corpus gives its error", "[graph]") {
  fs::path dir = fs::path(GANFLOW_SOURCE_DIR) / "tests/data/bad_graphs";
  int n = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream f(e.path()), x(fs::path(e.path()).replace_extension(".expect"));
    std::stringstream text;
    text << f.rdbuf();
    std::string expect;
    std::getline(x, expect);
    INFO(e.path().filename().string());
    auto lines = problems(text.str());
    REQUIRE(!lines.empty());
    bool found = false;
    for (auto& l : lines) found |= l.find(expect) != std::string::npos;
    INFO("got: " << lines.front());
    CHECK(found);
    ++n;
  }
  CHECK(n >= 25);
}

TEST_CASE("all problems are reported at once", "[graph]") {
  auto lines = problems(R"({"nodes": {
    "gen": {"type": "t_model", "params": {"size": 2, "act": "tanh", "colour": 1}},
    "fit": {"type": "t_stage", "inputs": {"model": "nope"}}}})");
  CHECK(lines.size() == 6);  // size, act, colour, epochs, model input, loss input
}

TEST_CASE("overrides given with --set are typed by the param's declared type", "[graph]") {
  Graph g = parse_graph(kGood);
  apply_overrides(g, {"gen.size=16", "gen.act=leaky_relu", "gen.betas=[0.0,0.99]", "seed=9"}, test_registry());
  validate_graph(g, test_registry());
  CHECK(g.find("gen")->params["size"] == 16);
  CHECK(g.find("gen")->params["betas"][0] == 0.0);
  CHECK(g.seed == 9);

  Graph bad = parse_graph(kGood);
  apply_overrides(bad, {"gen.size=big"}, test_registry());
  CHECK_THROWS_WITH(validate_graph(bad, test_registry()), Catch::Contains("/nodes/gen/params/size: expected integer >= 8, got \"big\""));
  CHECK_THROWS_WITH(apply_overrides(bad, {"gen.nope=1"}, test_registry()), Catch::Contains("t_model has no param 'nope'"));
  CHECK_THROWS_WITH(apply_overrides(bad, {"ghost.size=1"}, test_registry()), Catch::Contains("no node named 'ghost'"));
  CHECK_THROWS_WITH(apply_overrides(bad, {"size"}, test_registry()), Catch::Contains("expected node.param=value"));
}

TEST_CASE("an enum with true and false among its choices takes JSON bools as those choices", "[graph]") {
  Graph g = parse_graph(R"({"nodes": {"gen": {"type": "t_model", "params": {"fuse": true}}, "loss": {"type": "t_loss"}}})");
  validate_graph(g, test_registry());
  CHECK(g.find("gen")->params["fuse"] == "true");  // the reader sees one type: the choice's string
  Graph off = parse_graph(kGood);
  apply_overrides(off, {"gen.fuse=false"}, test_registry());
  validate_graph(off, test_registry());
  CHECK(off.find("gen")->params["fuse"] == "false");
  Graph dflt = parse_graph(kGood);
  validate_graph(dflt, test_registry());
  CHECK(dflt.find("gen")->params["fuse"] == "auto");
  // only where "true"/"false" are choices: a bool for another enum is refused as before
  CHECK(problems(R"({"nodes": {"gen": {"type": "t_model", "params": {"act": true}}}})") ==
        std::vector<std::string>{"/nodes/gen/params/act: expected one of {relu, leaky_relu}, got true"});
  CHECK(problems(R"({"nodes": {"gen": {"type": "t_model", "params": {"fuse": 1}}}})") ==
        std::vector<std::string>{"/nodes/gen/params/fuse: expected one of {auto, true, false}, got 1"});
}

TEST_CASE("top-level --set values that are not of their key's type are refused by name", "[graph]") {
  Graph g = parse_graph(kGood);
  apply_overrides(g, {"seed=18446744073709551615", "threads=3", "deterministic=false", "dist_timeout_s=86400"}, test_registry());
  CHECK(g.seed == 18446744073709551615ull);
  CHECK(g.threads == 3);
  CHECK_FALSE(g.deterministic);
  CHECK(g.dist_timeout_s == 86400);
  CHECK_THROWS_WITH(apply_overrides(g, {"seed=abc"}, test_registry()), "--set seed=abc: seed must be an integer >= 0");
  CHECK_THROWS_WITH(apply_overrides(g, {"seed=-1"}, test_registry()), Catch::Contains("seed must be an integer >= 0"));
  CHECK_THROWS_WITH(apply_overrides(g, {"seed=18446744073709551616"}, test_registry()), Catch::Contains("seed must be"));
  CHECK_THROWS_WITH(apply_overrides(g, {"threads=2x"}, test_registry()), Catch::Contains("--set threads=2x: threads must be"));
  CHECK_THROWS_WITH(apply_overrides(g, {"deterministic=maybe"}, test_registry()), Catch::Contains("deterministic must be true or false"));
  CHECK_THROWS_WITH(apply_overrides(g, {"dist_timeout_s=0"}, test_registry()), Catch::Contains("dist_timeout_s must be"));
  // The refused values left the graph as it was.
  CHECK(g.seed == 18446744073709551615ull);
  CHECK(g.threads == 3);
}

TEST_CASE("build order puts inputs first and stages run in dependency order", "[graph]") {
  Graph g = parse_graph(kGood);
  validate_graph(g, test_registry());
  auto order = build_order(g);
  auto pos = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  CHECK(pos("gen") < pos("fit"));
  CHECK(pos("loss") < pos("fit"));
  BuiltGraph built = build_graph(g, test_registry());
  CHECK(built.nodes.at("fit")->name() == "fit");
  CHECK(std::dynamic_pointer_cast<Model>(built.nodes.at("gen")) != nullptr);
}

TEST_CASE("node seeds depend on the graph seed and the node name only", "[graph]") {
  // The seed node 'a' is built with, in a graph of seed `seed` with `others` beside it.
  auto seed_of_a = [](int seed, const std::string& a_params, const std::string& others) {
    std::string text = R"({"seed": )" + std::to_string(seed) + R"(, "nodes": {"a": {"type": "t_seed", "params": )" +
                       a_params + R"(})" + others + "}}";
    Graph g = parse_graph(text);
    validate_graph(g, test_registry());
    seeds_seen().clear();
    build_graph(g, test_registry());
    REQUIRE(seeds_seen().count("a"));
    return seeds_seen().at("a");
  };
  uint64_t alone = seed_of_a(1, "{}", "");
  // Other nodes (before and after 'a' in build order) and a's own params do not change it.
  CHECK(seed_of_a(1, R"({"size": 7})", R"(, "_b": {"type": "t_seed"}, "z": {"type": "t_seed"})") == alone);
  CHECK(seeds_seen().at("_b") != alone);  // another name, another seed
  CHECK(seed_of_a(2, "{}", "") != alone);
  CHECK(alone == node_seed(1, "a"));
}
