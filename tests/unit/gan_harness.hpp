#pragma once
// Runs a graph in-process with the real plugins (build tree) and the test spies.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>  // getpid
#include <vector>

#include "ganflow/framework/plugin/builtins.hpp"
#include "ganflow/framework/session/device.hpp"
#include "ganflow/framework/graph/executor.hpp"
#include "ganflow/framework/plugin/plugin_loader.hpp"
#include "ganflow/framework/session/session.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/item_source.hpp"
#include "ganflow/params.hpp"
#include "ganflow/unit_range.hpp"

namespace gantest {

inline ganflow::HostRegistry& registry() {
  static ganflow::HostRegistry* reg = [] {
    auto* r = new ganflow::HostRegistry();
    ganflow::register_builtins(*r);
    ganflow::load_plugins({std::string(GANFLOW_BINARY_DIR) + "/lib/ganflow/plugins",
                           std::string(GANFLOW_TEST_PLUGIN_DIR) + "/gf_test_spies"},
                          *r);
    return r;
  }();
  return *reg;
}

// The quality tests' feature network (Fashion-MNIST classifier, data/).
inline const std::string kClassifierWeights = std::string(GANFLOW_SOURCE_DIR) + "/data/fmnist_classifier.pt";

inline std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("ganflow_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A temp_dir removed again when the test ends.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) : path(temp_dir(name)) {}
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string str() const { return path.string(); }
};

// The tests' DCGAN on Fashion-MNIST 32x32x1: basic_generator / basic_critic, BCE through
// adaptive_loss, fixed_gan_switcher(n_crit, 1), Adam 2e-4 betas (0.5, 0.99) without weight
// decay. `train` is merged into the gan stage's params; top-level keys are the caller's.
struct TinyDcgan {
  std::string name;
  int64_t seed = 5, limit = 256, bs = 16, noise_sz = 16, n_features = 16, n_crit = 1;
};

inline ganflow::json tiny_dcgan(const TinyDcgan& k, const ganflow::json& train) {
  ganflow::json g = ganflow::json::parse(R"({
    "threads": 2,
    "nodes": {
      "images": {"type": "fashion_mnist", "params": {"split": "train", "size": 32}},
      "noise": {"type": "noisy_item", "params": {}},
      "data": {"type": "gan_item_list", "inputs": {"x": "noise", "y": "images"}, "params": {"threads": 1}},
      "generator": {"type": "basic_generator", "params": {"out_size": 32, "n_channels": 1}},
      "critic": {"type": "basic_critic", "params": {"in_size": 32, "n_channels": 1}},
      "bce": {"type": "bce_with_logits"},
      "bce_patch": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
      "gen_loss": {"type": "gan_gen_loss", "inputs": {"loss_crit": "bce_patch"}, "params": {"weights_gen": [1.0, 0.0]}},
      "crit_loss": {"type": "gan_crit_loss", "inputs": {"loss_crit": "bce_patch"}},
      "switcher": {"type": "fixed_gan_switcher", "params": {"n_gen": 1}},
      "train": {"type": "gan", "inputs": {"data": "data", "generator": "generator", "critic": "critic",
                "gen_loss": "gen_loss", "crit_loss": "crit_loss", "switcher": "switcher"},
                "params": {"lr": 2e-4, "betas": [0.5, 0.99], "wd": 0.0}}
    }})");
  g["name"] = k.name;
  g["seed"] = k.seed;
  auto& n = g["nodes"];
  n["images"]["params"]["limit"] = k.limit;
  n["noise"]["params"]["noise_sz"] = k.noise_sz;
  n["data"]["params"]["bs"] = k.bs;
  n["generator"]["params"]["noise_sz"] = k.noise_sz;
  n["generator"]["params"]["n_features"] = k.n_features;
  n["critic"]["params"]["n_features"] = k.n_features;
  n["switcher"]["params"]["n_crit"] = k.n_crit;
  n["train"]["params"].update(train);
  return g;
}

// The device of run_graph: the CPU, or GANFLOW_TEST_DEVICE (scripts/gpu-check sets cuda).
inline torch::Device test_device() {
  const char* d = std::getenv("GANFLOW_TEST_DEVICE");
  return ganflow::resolve_device(d && *d ? d : "cpu");
}

// Runs `graph` (JSON text) through a Session on `device` with its output in `dir`; returns
// the built nodes (trained in place).
inline ganflow::BuiltGraph run_graph(const std::string& graph, const std::string& dir,
                                     torch::Device device = test_device()) {
  ganflow::SessionOptions o;
  o.graph_text = graph;
  o.out = dir;
  o.device = device.str();
  ganflow::Session session(o, registry());
  session.run();
  return session.built();
}

// A text file's whole content ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The records of one kind ("step", "epoch") in a run folder's metrics.jsonl, in order.
inline std::vector<ganflow::json> run_records(const std::string& run_dir, const std::string& kind) {
  std::vector<ganflow::json> out;
  std::ifstream f(run_dir + "/metrics.jsonl");
  for (std::string line; std::getline(f, line);)
    if (ganflow::json r = ganflow::json::parse(line); r.value("kind", "") == kind) out.push_back(std::move(r));
  return out;
}

inline ganflow::json read_json(const std::string& path) {
  std::ifstream f(path);
  return ganflow::json::parse(f);
}

// The first n images of a one-channel image source of side `size`, as the GAN sees them ([-1, 1]).
inline torch::Tensor real_images(const ganflow::ItemSource& src, int64_t n, int64_t size) {
  auto out = torch::empty({n, 1, size, size}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    uint8_t* slot = out[i].data_ptr<uint8_t>();
    src.read(std::size_t(i), &slot, 0);
  }
  return ganflow::unit_from_pixels(out);
}

// The root-mean-square difference between two image batches' mean images.
inline double mean_image_distance(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.mean(0) - b.mean(0)).pow(2).mean().sqrt().item<double>();
}

}  // namespace gantest
