#include "fmnist_classifier.hpp"
#include <ganflow/layers/batch_norm.hpp>

#include <ganflow/fields.hpp>
#include <ganflow/state_dict.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sha256.hpp"

namespace fs = std::filesystem;
namespace nn = torch::nn;

namespace ganflow_quality {

namespace {
// Sequentials cannot nest in LibTorch, so the blocks are appended to one.
void conv_block(nn::Sequential& seq, int64_t in, int64_t out) {
  seq->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  seq->push_back(ganflow::layers::SyncableBatchNorm2d(out));  // torch's BatchNorm2d, or sync_bn's
  seq->push_back(nn::ReLU());
  seq->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
}

ganflow::json read_record(const std::string& path, const std::string& node) {
  std::ifstream f(path);
  if (!f) throw ganflow::Error("cannot read the extractor record '" + path + "'", node, "record");
  try {
    return ganflow::json::parse(f);
  } catch (const std::exception& e) {
    throw ganflow::Error("the extractor record '" + path + "' is not JSON: " + e.what(), node, "record");
  }
}
}  // namespace

// 32 -> 16 -> 8 -> 4 with 32/32/64 channels: about 4 M multiply-adds per image, so a few CPU
// minutes per Fashion-MNIST epoch. The features are the 1024 -> feature_dim linear layer before
// its ReLU: dense (no dead units), which keeps the feature covariance full rank.
ClassifierNet::ClassifierNet(int64_t feature_dim) {
  nn::Sequential b;
  conv_block(b, 1, 32);
  conv_block(b, 32, 32);
  conv_block(b, 32, 64);
  b->push_back(nn::Flatten());
  b->push_back(nn::Linear(64 * 4 * 4, feature_dim));
  body = register_module("body", b);
  head = register_module("head", nn::Sequential(nn::ReLU(), nn::Linear(feature_dim, 10)));
}

FmnistClassifier::FmnistClassifier(int64_t feature_dim, Output output)
    : net_(std::make_shared<ClassifierNet>(feature_dim)), feature_dim_(feature_dim), output_(output),
      accuracy_(std::nan("")) {}

torch::Tensor FmnistClassifier::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 1 || x.size(2) != 32 || x.size(3) != 32)
    throw ganflow::Error("expects grey 32x32 images [n, 1, 32, 32] (fashion_mnist size 32), got " +
                             c10::str(x.sizes()),
                         name());
  torch::Tensor f = features(x);
  return output_ == Output::Features ? f : net_->head->forward(f);
}

std::string resolve_data_path(const std::string& path) {
  fs::path p(path);
  if (p.is_absolute() || fs::exists(p)) return p.string();
  fs::path in_tree = fs::path(GANFLOW_QUALITY_SOURCE_DIR) / p;
  return fs::exists(in_tree) ? in_tree.string() : p.string();
}

void FmnistClassifier::load_weights(const std::string& path, const std::string& record, bool verify,
                                    const std::string& node) {
  std::string file = resolve_data_path(path);
  if (!fs::exists(file)) throw ganflow::Error("extractor weights '" + path + "' not found", node, "weights");
  sha256_ = sha256_file(file);
  std::string rec_file = resolve_data_path(record.empty() ? fs::path(path).replace_extension(".json").string() : record);
  if (fs::exists(rec_file)) {
    ganflow::json rec = read_record(rec_file, node);
    accuracy_ = rec.value("test_accuracy", std::nan(""));
    std::string want = rec.value("sha256", "");
    verified_ = !want.empty() && want == sha256_;
    if (verify && !verified_)
      throw ganflow::Error("extractor weights '" + file + "' have SHA-256 " + sha256_ + " but the record '" +
                               rec_file + "' says " + (want.empty() ? "nothing" : want) +
                               ": the metrics would not be comparable with recorded ones (retrain and re-record, "
                               "or set verify = false)",
                           node, "weights");
  } else if (verify) {
    throw ganflow::Error("no record '" + rec_file + "' to verify the extractor weights against (set record, or "
                         "verify = false)", node, "record");
  }
  try {
    ganflow::load_state_dict(*net_, ganflow::load_state_dict_file(file), "extractor weights '" + file + "'");
  } catch (const ganflow::Error& e) {
    throw ganflow::Error(e.message(), node, "weights");
  }
  weights_ = file;
}

FeatureSet FmnistClassifier::extract(const torch::Tensor& images, int64_t bs) {
  torch::NoGradGuard ng;
  net_->to(images.device());
  net_->eval();
  std::vector<torch::Tensor> f, l;
  for (int64_t s = 0; s < images.size(0); s += bs) {
    torch::Tensor feat = features(images.narrow(0, s, std::min(bs, images.size(0) - s)));
    l.push_back(logits_from_features(feat).to(torch::kCPU, torch::kFloat));
    f.push_back(feat.to(torch::kCPU, torch::kDouble));
  }
  return {torch::cat(f), torch::cat(l)};
}

std::string FmnistClassifier::describe() const {
  char acc[32];
  std::snprintf(acc, sizeof acc, "%.4f", accuracy_);
  return weights_ + " sha256 " + sha256_.substr(0, 12) + (verified_ ? " (verified)" : " (UNVERIFIED)") +
         ", recorded test accuracy " + (std::isnan(accuracy_) ? std::string("unknown") : acc) + ", feature_dim " +
         std::to_string(feature_dim_);
}

ganflow::json FmnistClassifier::identity() const {
  return {{"network", "fmnist_classifier"}, {"weights", weights_}, {"sha256", sha256_}, {"feature_dim", feature_dim_}};
}

namespace {
struct ClassifierSettings {  // read from the params register_fmnist_classifier declares (their defaults are there)
  int64_t feature_dim{};
  FmnistClassifier::Output output{};
  std::string weights, record;
  bool verify{};
};
}  // namespace

void register_fmnist_classifier(ganflow::Registry& r) {
  ganflow::NodeSpec s("fmnist_classifier", ganflow::NodeKind::Model,
                      "Small CNN classifier of grey 32x32 Fashion-MNIST images (3 conv blocks, 1024 -> feature_dim -> "
                      "10). Its feature_dim-d penultimate layer (before the ReLU) is the feature space of the "
                      "quality metrics (evaluate, quality_monitor).");
  using S = ClassifierSettings;
  ganflow::Fields<S> f(s);
  f.add("feature_dim", &S::feature_dim, 128, "Width of the penultimate (feature) layer.").range(8, 128);
  f.add_enum("output", &S::output,
             {{"logits", FmnistClassifier::Output::Logits}, {"features", FmnistClassifier::Output::Features}}, "logits",
             "What forward returns: 10 class logits, or the features.");
  f.add("weights", &S::weights, "",
        "State-dict pickle to load (e.g. data/fmnist_classifier.pt); empty: fresh initialisation (to train).");
  f.add("record", &S::record, "",
        "JSON with the weights' sha256 and test_accuracy; empty: the weights path with .json.");
  f.add("verify", &S::verify, true,
        "Refuse weights whose SHA-256 differs from the record's (false: use them anyway; reports say "
        "'unverified').");
  s.factory = [f](const ganflow::BuildContext& c) {
    ClassifierSettings k = f.read(c.params());
    auto m = std::make_shared<FmnistClassifier>(k.feature_dim, k.output);
    if (!k.weights.empty()) m->load_weights(k.weights, k.record, k.verify, c.node_name());
    return m;
  };
  s.role = "classifier";
  r.add(std::move(s));
}

}  // namespace ganflow_quality
