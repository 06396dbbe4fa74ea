// FID on any dataset: `ganflow evaluate RUN --real FOLDER --features NET.pt` against PyTorch and
// pytorch-fid's formula (tests/python/check_fid.py), the reference statistics cache and its
// identity check, and the quality nodes (evaluate, quality_monitor) on a torchscript_features
// network with and without class logits beside its features.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "gan_harness.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using ganflow::json;
using namespace ganflow::test;

namespace {
constexpr int64_t kReal = 40;  // real images; the feature network has 16 features

// A feature network and kReal real images (tests/python/make_feature_net.py), and a tiny
// trained run of 32x32 grey images, in `dir`.
void prepare(const std::string& dir) {
  auto r = run_python("make_feature_net.py", {dir, std::to_string(kReal)});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  json g = gantest::tiny_dcgan({"fid", 3, 128, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 4}});
  g["device"] = "cpu";
  g["threads"] = 1;
  std::ofstream(dir + "/graph_in.json") << g.dump(2);
  r = run_ganflow("run " + dir + "/graph_in.json --out " + dir + "/run");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

std::string evaluate_args(const std::string& dir, const std::string& extra = "", int input_size = 24) {
  return "evaluate " + dir + "/run --real " + dir + "/real --features " + dir + "/feature_net.pt --n " +
         std::to_string(kReal) + " --bs 16 --input-size " + std::to_string(input_size) + " --input-range 0..1 " + extra;
}

std::string fid_line(const std::string& output) {
  const auto at = output.rfind("FID ");
  return at == std::string::npos ? "" : output.substr(at, output.find('\n', at) - at);
}
}  // namespace

TEST_CASE("ganflow evaluate measures FID against an image folder in a TorchScript network's space, as pytorch-fid would",
          "[quality][torchscript]") {
  const std::string dir = scratch_dir("fid_verb");
  prepare(dir);
  auto r = run_ganflow(evaluate_args(dir, "--generated-stats " + dir + "/gen.npz"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("reference statistics of 40 real images written to " + dir + "/run/fid_reference_"));
  const std::string first = fid_line(r.output);
  REQUIRE_FALSE(first.empty());
  std::string ref;
  for (const auto& e : fs::directory_iterator(dir + "/run"))
    if (e.path().filename().string().rfind("fid_reference_", 0) == 0) ref = e.path().string();
  REQUIRE_FALSE(ref.empty());

  auto py = run_python("check_fid.py",
                       {dir + "/feature_net.pt", dir + "/real", "24", ref, dir + "/gen.npz", dir + "/run/fid.json", dir});
  INFO(py.output);
  CHECK(py.exit_code == 0);
  CHECK_THAT(py.output, Catch::Contains("OK"));

  // A second evaluation reads the statistics back and gets the same FID.
  r = run_ganflow(evaluate_args(dir));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("reference statistics from " + ref + " (cached)"));
  CHECK(fid_line(r.output) == first);
  // The same statistics written by NumPy (np.savez, np.savez_compressed; no ganflow identity):
  // read, used with a warning that their feature space cannot be checked, the same FID.
  for (const char* file : {"/plain.npz", "/compressed.npz"}) {
    r = run_ganflow(evaluate_args(dir, std::string("--stats ") + dir + file));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("does not say which network, image size and N made it"));
    CHECK(fid_line(r.output) == first);
  }

  // Another resize method: statistics of its own by default; the first file named explicitly is refused.
  r = run_ganflow(evaluate_args(dir, "--resize bicubic"));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("real images written to") && !Catch::Contains(ref));
  r = run_ganflow(evaluate_args(dir, "--resize bicubic --stats " + ref));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains(ref + " was made with") && Catch::Contains("delete it or name another file"));
  // A size the network cannot take: its forward fails when the node is built, naming the file.
  r = run_ganflow(evaluate_args(dir, "", 20));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("feature_net.pt: forward failed"));

  // A truncated statistics file and a missing real folder: one-line errors naming them.
  fs::copy_file(ref, dir + "/cut.npz");
  fs::resize_file(dir + "/cut.npz", fs::file_size(ref) / 2);
  r = run_ganflow(evaluate_args(dir, "--stats " + dir + "/cut.npz"));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains(dir + "/cut.npz"));
  r = run_ganflow("evaluate " + dir + "/run --real " + dir + "/nowhere --features " + dir + "/feature_net.pt");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("nowhere': no such folder"));
}

TEST_CASE("ganflow evaluate with a network that also returns class logits reports their Inception Score beside FID",
          "[quality][torchscript]") {
  const std::string dir = scratch_dir("fid_is");
  prepare(dir);
  const std::string args = "evaluate " + dir + "/run --real " + dir + "/real --features " + dir +
                           "/feature_net_logits.pt --n " + std::to_string(kReal) + " --bs 16 --input-size 24 --input-range 0..1";
  auto r = run_ganflow(args);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  REQUIRE_FALSE(fid_line(r.output).empty());
  CHECK_THAT(r.output, Catch::Contains("fid: Inception Score ") && Catch::Contains("(10 splits of the same images)"));
  const json out = gantest::read_json(dir + "/run/fid.json");
  CHECK(out.at("is_splits") == 10);
  CHECK(out.at("is_mean").get<double>() >= 1);
  CHECK(out.at("is_mean").get<double>() <= 5);  // the network's 5 classes
  CHECK(out.at("is_std").get<double>() >= 0);
  // The plain network gives features only: no Inception Score.
  r = run_ganflow(evaluate_args(dir));
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(gantest::read_json(dir + "/run/fid.json").contains("is_mean"));
}

namespace {
// A tiny DCGAN graph whose quality_monitor and evaluate stage score in the space of the
// TorchScript network `net` (one of make_feature_net.py's, written into `dir`).
json torchscript_quality_graph(const std::string& dir, const std::string& net) {
  auto r = run_python("make_feature_net.py", {dir, std::to_string(kReal)});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  json g = gantest::tiny_dcgan({"fid_nodes", 3, 128, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 4}});
  g["device"] = "cpu";
  g["threads"] = 1;
  auto& n = g["nodes"];
  n["real"] = {{"type", "image_folder"}, {"params", {{"root", dir + "/real"}, {"size", 32}, {"channels", 1}}}};
  n["real_data"] = {{"type", "item_list"}, {"inputs", {{"x", "real"}}}, {"params", {{"bs", 16}, {"shuffle", false}, {"target", "none"}}}};
  n["features"] = {{"type", "torchscript_features"},
                   {"params", {{"file", dir + "/" + net}, {"input_size", 24}, {"input_range", "0..1"}}}};
  n["monitor"] = {{"type", "quality_monitor"},
                  {"inputs", {{"generator", "generator"}, {"noise", "noise"}, {"extractor", "features"}, {"real", "real_data"}}},
                  {"params", {{"n", 32}, {"bs", 16}, {"kid_subset_size", 16}}}};
  n["train"]["inputs"]["callbacks"] = json::array({"monitor"});
  n["evaluate"] = {{"type", "evaluate"},
                   {"inputs",
                    {{"generator", "generator"}, {"noise", "noise"}, {"extractor", "features"}, {"real", "real_data"},
                     {"train", "real_data"}, {"after", json::array({"train"})}}},
                   {"params", {{"n", 32}, {"bs", 16}, {"kid_subset_size", 16}}}};
  return g;
}

}  // namespace

TEST_CASE("evaluate and quality_monitor score in a torchscript_features space, class columns n/a", "[quality][torchscript]") {
  const std::string dir = scratch_dir("fid_nodes");
  const json g = torchscript_quality_graph(dir, "feature_net.pt");
  std::ofstream(dir + "/graph_in.json") << g.dump(2);
  auto r = run_ganflow("run " + dir + "/graph_in.json --out " + dir + "/run");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("extractor " + dir + "/feature_net.pt sha256 "));

  const std::vector<json> rows = gantest::run_records(dir + "/run", "epoch");
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].contains("fd"));
  CHECK(std::isfinite(rows[0]["fd"].get<double>()));
  CHECK_FALSE(rows[0].contains("class_agreement"));
  CHECK_FALSE(rows[0].contains("is"));
  const json report = gantest::read_json(dir + "/run/evaluate.json");
  REQUIRE(report["rows"].size() == 5);
  for (const auto& row : report["rows"]) {
    CHECK(row["kl_uniform"].is_null());
    CHECK(row["is_mean"].is_null());
    CHECK(std::isfinite(row["fd"].get<double>()));
  }
  CHECK(report["extractor"]["network"] == "torchscript");
  CHECK(report["extractor"]["input_size"] == 24);
}

TEST_CASE("a torchscript_features network returning (features, class logits) gives the class columns and the Inception Score",
          "[quality][torchscript]") {
  const std::string dir = scratch_dir("fid_logits");
  json g = torchscript_quality_graph(dir, "feature_net_logits.pt");
  std::ofstream(dir + "/graph_in.json") << g.dump(2);
  auto r = run_ganflow("run " + dir + "/graph_in.json --out " + dir + "/run");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("feature_dim 16, class logits 5"));
  const std::vector<json> rows = gantest::run_records(dir + "/run", "epoch");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].at("is").get<double>() >= 1);
  const json report = gantest::read_json(dir + "/run/evaluate.json");
  REQUIRE(report["rows"].size() == 5);
  for (const auto& row : report["rows"]) {
    INFO(row.dump());
    CHECK(row["class_counts"].size() == 5);
    CHECK(row["kl_uniform"].get<double>() >= 0);
    CHECK(row["is_mean"].get<double>() >= 1);
    CHECK(row["is_mean"].get<double>() <= 5);  // at most the class count
  }

  SECTION("three outputs are refused, naming the node and the file") {
    g["nodes"]["features"]["params"]["file"] = dir + "/feature_net_three.pt";
    std::ofstream(dir + "/graph_three.json") << g.dump(2);
    r = run_ganflow("run " + dir + "/graph_three.json --out " + dir + "/run_three");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.output, Catch::Contains("node 'features'") && Catch::Contains("feature_net_three.pt: the network returned 3 "
                                                                                "tensors; expected the features, or (features, "
                                                                                "class logits)"));
  }
}
