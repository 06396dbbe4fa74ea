// The frozen feature extractor: the in-tree weights match their recorded SHA-256, classify the
// Fashion-MNIST test split as accurately as recorded (measured here), and a modified extractor
// is refused unless verify = false.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "ganflow/data.hpp"
#include "ganflow/model.hpp"
#include "gan_harness.hpp"
#include "test_support.hpp"

using namespace ganflow;
using ganflow::test::run_python;
using ganflow::test::save_tensors;
using ganflow::test::scratch_dir;
using ganflow::test::build_error;
using ganflow::test::build_node;
using ganflow::test::build_one;
namespace fs = std::filesystem;

namespace {
const std::string kRecord = std::string(GANFLOW_SOURCE_DIR) + "/data/fmnist_classifier.json";

std::string extractor_json(const std::string& weights, const std::string& extra = "") {
  return R"({"e": {"type": "fmnist_classifier", "params": {"weights": ")" + weights + "\"" + extra + "}}}";
}
}  // namespace

TEST_CASE("the in-tree extractor matches its record: sha256, and its test accuracy measured here", "[quality]") {
  std::ifstream f(kRecord);
  REQUIRE(f);
  json rec = json::parse(f);
  CHECK(rec.at("sha256").get<std::string>().size() == 64);
  // Builds only if the file's SHA-256 (computed by the plugin) equals the recorded one (sha256sum's).
  auto e = build_node<Model>(extractor_json(gantest::kClassifierWeights, R"(, "output": "features")"), "e");
  torch::NoGradGuard ng;
  e->module().eval();
  auto feats = e->forward(torch::zeros({2, 1, 32, 32}));
  CHECK(feats.sizes() == torch::IntArrayRef({2, rec.at("feature_dim").get<int64_t>()}));

  // Top-1 accuracy on the whole test split, prepared as the training graph prepared it.
  auto built = ganflow::test::build_nodes(R"({
    "test": {"type": "fashion_mnist", "params": {"split": "test", "size": 32}},
    "data": {"type": "item_list", "inputs": {"x": "test"}, "params": {"bs": 1000, "target": "label", "shuffle": false, "drop_last": false}},
    "e": {"type": "fmnist_classifier", "params": {"weights": ")" + gantest::kClassifierWeights + R"("}}})");
  auto data = std::dynamic_pointer_cast<DataSource>(built.nodes.at("data"));
  auto classifier = std::dynamic_pointer_cast<Model>(built.nodes.at("e"));
  REQUIRE((data && classifier));
  classifier->module().eval();
  data->start_epoch(0, 0, torch::kCPU);
  int64_t correct = 0, total = 0;
  for (Batch b; data->next(b);) {
    correct += (classifier->forward(b.x).argmax(1) == b.y).sum().item<int64_t>();
    total += b.y.size(0);
  }
  data->stop();
  REQUIRE(total == 10000);
  double accuracy = double(correct) / double(total);
  CHECK(accuracy >= 0.90);
  CHECK(accuracy == Approx(rec.at("test_accuracy").get<double>()).margin(0.002));
}

TEST_CASE("a modified extractor is refused unless verify = false", "[quality]") {
  std::string dir = scratch_dir("quality_hash");
  // The same record beside a state dict with one weight nudged: a different file, same claims.
  std::ifstream in(gantest::kClassifierWeights, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto sd = torch::pickle_load(bytes).toGenericDict();
  c10::Dict<std::string, torch::Tensor> changed;
  for (auto& kv : sd) changed.insert(kv.key().toStringRef(), kv.value().toTensor().clone());
  changed.at("head.1.bias").add_(1e-3);
  auto out = torch::pickle_save(changed);
  std::ofstream(dir + "/modified.pt", std::ios::binary).write(out.data(), std::streamsize(out.size()));
  fs::copy_file(kRecord, dir + "/modified.json");

  std::string err = build_error(extractor_json(dir + "/modified.pt"));
  CHECK_THAT(err, Catch::Contains("SHA-256") && Catch::Contains("param 'weights'") &&
                      Catch::Contains("verify = false"));
  CHECK(build_error(extractor_json(dir + "/modified.pt", R"(, "verify": false)")).empty());
  // No record at all is refused too (nothing to verify against).
  fs::remove(dir + "/modified.json");
  CHECK_THAT(build_error(extractor_json(dir + "/modified.pt")), Catch::Contains("param 'record'"));
}
