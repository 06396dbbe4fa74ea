// The evaluate stage and quality_monitor on real Fashion-MNIST features: the corruption ladder
// is monotonic (real < blurred < noisy < pure noise), KID of two real sets is about 0, and the
// in-loop monitor logs FD and keeps a best checkpoint.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "gan_harness.hpp"
#include "ganflow/model.hpp"
#include "ganflow/state_dict.hpp"

using ganflow::json;
namespace fs = std::filesystem;

namespace {

std::string common_nodes(int64_t limit) {
  std::string l = std::to_string(limit);
  return R"(
    "test_images": {"type": "fashion_mnist", "params": {"split": "test", "limit": )" + l + R"(}},
    "train_images": {"type": "fashion_mnist", "params": {"split": "train", "limit": )" + l + R"(}},
    "test_data": {"type": "item_list", "inputs": {"x": "test_images"}, "params": {"bs": 250, "shuffle": false, "drop_last": false}},
    "train_data": {"type": "item_list", "inputs": {"x": "train_images"}, "params": {"bs": 250, "drop_last": false}},
    "noise": {"type": "noisy_item", "params": {"noise_sz": 32}},
    "generator": {"type": "basic_generator", "params": {"out_size": 32, "n_channels": 1, "noise_sz": 32, "n_features": 16}},
    "extractor": {"type": "fmnist_classifier", "params": {"weights": ")" + gantest::kClassifierWeights + R"("}},)";
}
// The GAN around common_nodes' generator: the nodes a `train` stage needs besides it.
std::string gan_nodes() {
  return R"(
    "gan_data": {"type": "gan_item_list", "inputs": {"x": "noise", "y": "train_images"}, "params": {"bs": 32}},
    "critic": {"type": "basic_critic", "params": {"in_size": 32, "n_channels": 1, "n_features": 16}},
    "bce": {"type": "bce_with_logits"},
    "bce_patch": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
    "gen_loss": {"type": "gan_gen_loss", "inputs": {"loss_crit": "bce_patch"}},
    "crit_loss": {"type": "gan_crit_loss", "inputs": {"loss_crit": "bce_patch"}},
    "switcher": {"type": "fixed_gan_switcher"},)";
}
}  // namespace

TEST_CASE("evaluate: the ladder is monotonic and real-vs-real KID is about 0", "[quality]") {
  std::string dir = gantest::temp_dir("quality_ladder");
  std::string graph = R"({"seed": 3, "nodes": {)" + common_nodes(1000) + R"(
    "evaluate": {"type": "evaluate", "inputs": {"generator": "generator", "noise": "noise", "extractor": "extractor",
                 "real": "test_data", "train": "train_data"},
                 "params": {"n": 1000, "kid_subsets": 20, "kid_subset_size": 500}}}})";
  gantest::run_graph(graph, dir);
  json out = gantest::read_json(dir + "/evaluate.json");
  std::map<std::string, json> rows;
  for (auto& r : out.at("rows")) rows[r.at("set").get<std::string>()] = r;
  REQUIRE(rows.size() == 5);
  INFO(out.dump(1));
  CHECK(out.at("extractor").at("verified").get<bool>());
  const std::vector<std::string> ladder = {"real (train vs test)", "blurred real", "noisy real", "uniform noise"};
  for (const char* key : {"fd", "kid_mean"})
    for (std::size_t i = 0; i + 1 < ladder.size(); ++i) {
      INFO(key << ": " << ladder[i] << " < " << ladder[i + 1]);
      CHECK(rows[ladder[i]].at(key).get<double>() < rows[ladder[i + 1]].at(key).get<double>());
    }
  // Unbiased: real-vs-real KID is within noise of 0 and tiny next to the corrupted sets.
  double kid_real = rows["real (train vs test)"].at("kid_mean").get<double>();
  CHECK(std::abs(kid_real) < 0.05 * rows["blurred real"].at("kid_mean").get<double>());
  // Real images cover every class and sit on the real manifold; uniform noise does not.
  CHECK(rows["real (train vs test)"].at("modes").get<int64_t>() == 10);
  CHECK(rows["real (train vs test)"].at("kl_uniform").get<double>() < 0.05);
  CHECK(rows["real (train vs test)"].at("precision").get<double>() > 0.5);
  CHECK(rows["uniform noise"].at("precision").get<double>() < rows["real (train vs test)"].at("precision").get<double>());
  // Real images are confidently one class each and balanced: an Inception Score near the 10 classes.
  CHECK(rows["real (train vs test)"].at("is_mean").get<double>() > 5);
  CHECK(rows["real (train vs test)"].at("is_splits").get<int64_t>() == 10);
  CHECK(rows["uniform noise"].at("is_mean").get<double>() < rows["real (train vs test)"].at("is_mean").get<double>());
}

TEST_CASE("evaluate refuses more Inception Score splits than images, naming the param", "[quality]") {
  std::string dir = gantest::temp_dir("quality_is_splits");
  std::string graph = R"({"seed": 3, "nodes": {)" + common_nodes(300) + R"(
    "evaluate": {"type": "evaluate", "inputs": {"generator": "generator", "noise": "noise", "extractor": "extractor",
                 "real": "test_data", "train": "train_data"}, "params": {"n": 200, "is_splits": 500}}}})";
  CHECK_THROWS_WITH(gantest::run_graph(graph, dir),
                    Catch::Contains("param 'is_splits'") && Catch::Contains("n = 200"));
}

TEST_CASE("evaluate refuses n <= the feature dimension, naming the param", "[quality]") {
  std::string dir = gantest::temp_dir("quality_small_n");
  std::string graph = R"({"seed": 3, "nodes": {)" + common_nodes(300) + R"(
    "evaluate": {"type": "evaluate", "inputs": {"generator": "generator", "noise": "noise", "extractor": "extractor",
                 "real": "test_data", "train": "train_data"}, "params": {"n": 100}}}})";
  CHECK_THROWS_WITH(gantest::run_graph(graph, dir),
                    Catch::Contains("param 'n'") && Catch::Contains("must exceed the extractor's feature dimension"));
}

TEST_CASE("quality_monitor records fd in metrics.jsonl and metrics.csv, keeps a best checkpoint and says so", "[quality]") {
  std::string dir = gantest::temp_dir("quality_monitor");
  std::string graph = R"({"seed": 3, "nodes": {)" + common_nodes(300) + gan_nodes() + R"(
    "monitor": {"type": "quality_monitor", "inputs": {"generator": "generator", "noise": "noise",
                "extractor": "extractor", "real": "test_data"}, "params": {"n": 200, "kid_subset_size": 100}},
    "train": {"type": "gan", "inputs": {"data": "gan_data", "generator": "generator", "critic": "critic",
              "gen_loss": "gen_loss", "crit_loss": "crit_loss", "switcher": "switcher", "callbacks": ["monitor"]},
              "params": {"epochs": 2, "max_batches": 2, "show_img": false}}}})";
  gantest::run_graph(graph, dir);
  std::ifstream f(dir + "/metrics.jsonl");
  std::string line;
  int epochs_with_fd = 0;
  while (std::getline(f, line)) {
    json j = json::parse(line);
    if (j.contains("fd")) {
      ++epochs_with_fd;
      CHECK(j.at("fd").get<double>() > 0);
      CHECK(j.at("fd_best").get<double>() <= j.at("fd").get<double>());
      CHECK(j.contains("kid"));
      CHECK(j.at("is").get<double>() >= 1);  // the classifier has class logits
    }
  }
  CHECK(epochs_with_fd == 2);
  CHECK(fs::exists(dir + "/checkpoints/train_best.pt"));
  CHECK(fs::exists(dir + "/checkpoints/train_last.pt"));
  // The recorded values are columns of the wide CSV: one row per epoch.
  std::ifstream csv(dir + "/metrics.csv");
  std::vector<std::string> rows;
  for (std::string row; std::getline(csv, row);) rows.push_back(row);
  REQUIRE(rows.size() == 3);
  CHECK_THAT(rows[0], Catch::StartsWith("stage,epoch,") && Catch::Contains(",fd,fd_best,") && Catch::Contains(",kid,"));
  CHECK_THAT(rows[1], Catch::StartsWith("train,0,"));
  CHECK_THAT(rows[2], Catch::StartsWith("train,1,"));
  // Info lines from the callback: the extractor and each new best; no warning for a verified extractor.
  std::ifstream log_file(dir + "/log.txt");
  std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(log, Catch::Contains("monitor: extractor ") && Catch::Contains("(verified)"));
  CHECK_THAT(log, Catch::Contains("monitor: fd ") && Catch::Contains(" at epoch 0 is the best so far; saved checkpoint 'best'"));
  CHECK_THAT(log, !Catch::Contains("warning:"));
}

TEST_CASE("evaluate and quality_monitor measure the generator_ema's averaged weights when it is wired as `average`", "[quality]") {
  // One graph run twice, the evaluate stage with and without the average: the same node names
  // give the same seeds (noise, reference), and training is deterministic.
  auto run = [&](bool averaged) {
    std::string dir = gantest::temp_dir(averaged ? "quality_ema" : "quality_ema_raw");
    std::string graph = R"({"seed": 3, "deterministic": true, "nodes": {)" + common_nodes(300) + gan_nodes() + R"(
    "ema": {"type": "generator_ema", "inputs": {"generator": "generator"}, "params": {"beta": 0.9}},
    "monitor": {"type": "quality_monitor", "inputs": {"generator": "generator", "noise": "noise", "average": "ema",
                "extractor": "extractor", "real": "test_data"}, "params": {"n": 200, "kid_subset_size": 100}},
    "train": {"type": "gan", "inputs": {"data": "gan_data", "generator": "generator", "critic": "critic",
              "gen_loss": "gen_loss", "crit_loss": "crit_loss", "switcher": "switcher", "callbacks": ["ema", "monitor"]},
              "params": {"epochs": 1, "max_batches": 6, "show_img": false}},
    "evaluate": {"type": "evaluate", "inputs": {"generator": "generator", "noise": "noise", "extractor": "extractor",
                 "real": "test_data", "train": "train_data", )" + (averaged ? R"("average": "ema", )" : "") +
                        R"("after": ["train"]}, "params": {"n": 300}}}})";
    auto built = gantest::run_graph(graph, dir);
    return std::make_pair(dir, std::dynamic_pointer_cast<ganflow::Model>(built.nodes.at("generator")));
  };
  auto [ema_dir, ema_gen] = run(true);
  auto [raw_dir, raw_gen] = run(false);
  REQUIRE((ema_gen && raw_gen));
  auto generator_fd = [](const json& out) {
    for (auto& r : out.at("rows"))
      if (r.at("set") == "generator") return r.at("fd").get<double>();
    return -1.0;
  };
  json ema = gantest::read_json(ema_dir + "/evaluate.json"), raw = gantest::read_json(raw_dir + "/evaluate.json");
  CHECK(ema.at("generator_weights") == "averaged (EMA)");
  CHECK(raw.at("generator_weights") == "trained");
  // The same training, noise and reference: the FD differs because the weights measured differ.
  const auto trained = ganflow::load_state_dict_file(ema_dir + "/train_generator.pt");
  const auto trained_raw = ganflow::load_state_dict_file(raw_dir + "/train_generator.pt");
  int64_t same_training = 0;
  for (const auto& e : trained) same_training += torch::equal(e.value(), trained_raw.at(e.key()));
  REQUIRE(same_training == int64_t(trained.size()));
  CHECK(generator_fd(ema) > 0);
  CHECK(generator_fd(ema) != generator_fd(raw));
  // After measuring the average, the generator has its own trained weights back.
  int64_t restored = 0;
  for (const auto& e : ganflow::state_dict(ema_gen->module())) restored += torch::equal(e.value(), trained.at(e.key()));
  CHECK(restored == int64_t(trained.size()));
  std::ifstream f(ema_dir + "/metrics.jsonl");
  int with_fd = 0;
  for (std::string line; std::getline(f, line);) with_fd += json::parse(line).contains("fd");
  CHECK(with_fd == 1);

  // An average of another model is refused on the port.
  std::string wrong = R"({"seed": 3, "nodes": {)" + common_nodes(300) + R"(
    "other": {"type": "basic_generator", "params": {"out_size": 32, "n_channels": 1, "noise_sz": 32, "n_features": 16}},
    "ema": {"type": "generator_ema", "inputs": {"generator": "other"}},
    "evaluate": {"type": "evaluate", "inputs": {"generator": "generator", "noise": "noise", "extractor": "extractor",
                 "real": "test_data", "train": "train_data", "average": "ema"}, "params": {"n": 300}}}})";
  CHECK_THROWS_WITH(gantest::run_graph(wrong, gantest::temp_dir("quality_ema_wrong")),
                    Catch::Contains("input 'average'") && Catch::Contains("averages another model"));
}
