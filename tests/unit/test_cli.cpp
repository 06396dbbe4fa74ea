// The ganflow program end to end: exit codes and one-line errors for bad input.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ganflow/version.hpp"
#include "test_support.hpp"

namespace {
struct Result {
  int code;
  std::string out;
};
// The ganflow program with `args` (and `env` before it).
Result cli(const std::string& args, const std::string& env = "") {
  auto r = ganflow::test::run_ganflow(args, env);
  return {r.exit_code, r.output};
}
std::string src(const std::string& rel) { return std::string(GANFLOW_SOURCE_DIR) + "/" + rel; }

// Writes the default graph with the first `from` replaced by `to` as <temp>/<name>/graph.json.
std::string edited_default_graph(const std::string& name, const std::string& from, const std::string& to) {
  std::ifstream in(src("graphs/dcgan_fashion_mnist.json"));
  std::string graph((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = graph.find(from);
  REQUIRE(at != std::string::npos);
  graph.replace(at, from.size(), to);
  auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "graph.json") << graph;
  return (dir / "graph.json").string();
}

// `ganflow run` of the default graph into a fresh temporary folder `name` with `extra` args;
// says whether the run created the folder, then removes it.
struct RunResult : Result {
  bool wrote_folder;
};
RunResult run_default_graph(const std::string& name, const std::string& extra, const std::string& env = "") {
  auto out = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(out);
  Result r = cli("run " + src("graphs/dcgan_fashion_mnist.json") + " --out " + out.string() + " " + extra, env);
  RunResult rr{r, std::filesystem::exists(out)};
  std::filesystem::remove_all(out);
  return rr;
}
}  // namespace

TEST_CASE("ganflow validate: a good graph is ok, a bad one exits 2 with every problem", "[cli]") {
  auto ok = cli("validate " + src("graphs/dcgan_fashion_mnist.json"));
  INFO(ok.out);
  CHECK(ok.code == 0);
  auto bad = cli("validate " + src("tests/data/bad_graphs/01_malformed_trailing_comma.json"));
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("01_malformed_trailing_comma.json:4:3: malformed JSON"));
}

TEST_CASE("ganflow run --set is typed and checked, --dry-run trains nothing", "[cli]") {
  auto r = cli("run " + src("graphs/dcgan_fashion_mnist.json") + " --dry-run --set train.epochs=3");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"epochs\": 3"));
  CHECK_THAT(r.out, Catch::Contains("build order:"));
  auto bad = cli("run " + src("graphs/dcgan_fashion_mnist.json") + " --dry-run --set train.epochs=many");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("/nodes/train/params/epochs: expected integer >= 1, got \"many\""));
}

TEST_CASE("swapping the switcher is one --set away", "[cli]") {
  auto r = cli("run " + src("graphs/dcgan_fashion_mnist.json") +
                   " --dry-run --set switcher.type=adaptive_gan_switcher");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"type\": \"adaptive_gan_switcher\""));
  auto typo = cli("validate " + src("graphs/dcgan_fashion_mnist.json") + " --set switcher.type=adaptive_switcher");
  CHECK(typo.code == 2);
  CHECK_THAT(typo.out, Catch::Contains("did you mean 'adaptive_gan_switcher'"));
}

TEST_CASE("ganflow plugins and describe show the registry", "[cli]") {
  auto p = cli("plugins");
  CHECK(p.code == 0);
  CHECK_THAT(p.out, Catch::Contains("gan "));
  CHECK_THAT(p.out, Catch::Contains("learner"));
  auto d = cli("describe gan --json");
  CHECK(d.code == 0);
  CHECK_THAT(d.out, Catch::Contains("\"switch_eval\""));
  auto unknown = cli("describe gann");
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.out, Catch::Contains("did you mean 'gan'"));
}

TEST_CASE("usage errors and missing files exit 2, never crash", "[cli]") {
  CHECK(cli("").code == 2);
  CHECK(cli("frobnicate").code == 2);
  auto missing = cli("validate /nonexistent/graph.json");
  CHECK(missing.code == 2);
  CHECK_THAT(missing.out, Catch::Contains("/nonexistent/graph.json: cannot read graph file"));
  CHECK(cli("run --help").code == 0);
}

TEST_CASE("an unwritable output folder fails before training starts", "[cli]") {
  auto r = cli("run " + src("graphs/dcgan_fashion_mnist.json") + " --out /proc/ganflow-run");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("output folder '/proc/ganflow-run'"));
}

TEST_CASE("cuda without a GPU is a clear error", "[cli]") {
  auto r = cli("run " + src("graphs/dcgan_fashion_mnist.json") + " --dry-run --device cuda");
  if (r.code == 0) SUCCEED("this machine has a GPU");
  else CHECK_THAT(r.out, Catch::Contains("sees no CUDA GPU"));
}

TEST_CASE("a size no machine can hold is refused by validation, naming the param", "[cli]") {
  auto r = cli("validate " + src("graphs/dcgan_fashion_mnist.json") + " --set generator.n_features=1000000000000");
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("/nodes/generator/params/n_features: expected integer in [2, 8192], got 1000000000000"));
}

TEST_CASE("a LibTorch error while building a node is one line, without the C++ backtrace", "[cli]") {
  // Every size within its bound, together too large: the first layer alone would be 35 PB.
  auto r = run_default_graph("ganflow_cli_huge_model", "--set generator.n_features=8192 --set generator.out_size=8192 "
                                                       "--set generator.noise_sz=65536");
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("error: node 'generator': ") && Catch::Contains("can't allocate memory"));
  CHECK_THAT(r.out, !Catch::Contains("frame #"));
}

TEST_CASE("WORLD_SIZE > 1 without MASTER_ADDR refuses to start and writes nothing", "[cli]") {
  auto r = run_default_graph("ganflow_cli_world_size", "", "WORLD_SIZE=2 RANK=0");
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("WORLD_SIZE=2 needs MASTER_ADDR and MASTER_PORT (torchrun sets them)"));
  CHECK_FALSE(r.wrote_folder);
  // One process (WORLD_SIZE=1, as torchrun --nproc_per_node 1 sets) is allowed.
  auto one = cli("run " + src("graphs/dcgan_fashion_mnist.json") + " --dry-run", "WORLD_SIZE=1 RANK=0");
  CHECK(one.code == 0);
}

TEST_CASE("the progress line shows '-' for a network that has no loss yet", "[cli]") {
  // One critic batch: the generator has not trained when the line is drawn.
  auto r = run_default_graph("ganflow_cli_progress",
                             "--set train.epochs=1 --set train.max_batches=1 --set train.show_img=false");
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("1/1 ") && Catch::Contains(" gen - crit "));
  CHECK_THAT(r.out, !Catch::Contains("gen nan"));
}

TEST_CASE("an unknown plugin type names the plugin folders searched, a missing one marked", "[cli]") {
  // a plugin type no folder provides
  std::string graph = edited_default_graph("ganflow_cli_plugin_path", "\"noisy_item\"", "\"my_noise\"");
  auto r = cli("validate " + graph, "GANFLOW_PLUGIN_PATH=/nonexistent/plugins");
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("unknown plugin type 'my_noise'") &&
                        Catch::Contains("plugin folders searched (GANFLOW_PLUGIN_PATH, then the installed ones): "
                                        "/nonexistent/plugins (missing), ") &&
                        Catch::Contains(std::string(GANFLOW_BINARY_DIR) + "/lib/ganflow/plugins"));
  std::filesystem::remove_all(std::filesystem::path(graph).parent_path());
}

TEST_CASE("a refused plugin library is named with its reason, the others still list and run", "[cli]") {
  namespace fs = std::filesystem;
  std::string old_sdk = std::string(GANFLOW_TEST_PLUGIN_DIR) + "/gf_test_abi_major";  // built for SDK ABI 2.3
  std::string refused = "refused plugin library " + old_sdk + "/libgf_test_abi_major.so: built for ganflow SDK ABI 2.3";
  auto listed = cli("plugins", "GANFLOW_PLUGIN_PATH=" + old_sdk);
  INFO(listed.out);
  CHECK(listed.code == 0);
  CHECK_THAT(listed.out, Catch::Contains("warning: " + refused));
  CHECK_THAT(listed.out, Catch::Contains("noisy_item"));  // the installed plugins still load
  CHECK_THAT(listed.out, !Catch::Contains("test_scaled_l1"));

  // A graph that needs a type only the refused library has: a setup error (2) naming it.
  fs::path dir = fs::temp_directory_path() / "ganflow_cli_refused";
  fs::create_directories(dir);
  std::ofstream(dir / "graph.json") << R"({"nodes": {"l": {"type": "test_scaled_l1"}}})";
  auto r = cli("validate " + (dir / "graph.json").string(), "GANFLOW_PLUGIN_PATH=" + old_sdk);
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("unknown plugin type 'test_scaled_l1'") && Catch::Contains("; " + refused) &&
                        Catch::Contains("host has 3." + std::to_string(GANFLOW_ABI_MINOR)));
  fs::remove_all(dir);
}

TEST_CASE("a generator wired into the critic port (and back) is a validation error naming both", "[cli]") {
  std::string graph = edited_default_graph("ganflow_cli_roles", "\"generator\": \"generator\", \"critic\": \"critic\"",
                                           "\"generator\": \"critic\", \"critic\": \"generator\"");
  auto r = cli("validate " + graph);
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("/nodes/train/inputs/critic: node 'generator' is a generator (basic_generator); "
                                    "this port takes a critic") &&
                        Catch::Contains("/nodes/train/inputs/generator: node 'critic' is a critic (basic_critic); "
                                        "this port takes a generator"));
  auto described = cli("describe gan --json");
  CHECK_THAT(described.out, Catch::Contains("\"roles\""));
  std::filesystem::remove_all(std::filesystem::path(graph).parent_path());
}

TEST_CASE("every shipped graph validates against the registry", "[cli]") {
  for (auto& e : std::filesystem::directory_iterator(src("graphs"))) {
    if (e.path().extension() != ".json") continue;
    auto r = cli("validate " + e.path().string());
    INFO(r.out);
    CHECK(r.code == 0);
  }
}
