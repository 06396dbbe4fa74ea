// torchscript_features: a user's TorchScript feature network (StyleGAN's Inception-v3
// TorchScript for FID, or any other) as the feature space of the quality metrics, on any
// dataset. Images in [-1, 1] are brought to the network's channels, size and value range.
// A network whose forward returns (features, class logits) also feeds the class columns.

#include <ganflow/ganflow.hpp>
#include <ganflow/scripted_module.hpp>

#include <torch/torch.h>

#include "features.hpp"
#include "sha256.hpp"

namespace ganflow_quality {

namespace {
enum class Range { MinusOneOne, ZeroOne, Zero255 };
enum class Resize { Bilinear, Bicubic, Nearest, Area };

struct FeatureNetSettings {  // read from the params register_torchscript_features declares (their defaults are there)
  std::string file;
  int64_t input_size{}, channels{};
  Range range{};
  Resize resize{};
};

const char* range_name(Range r) {
  return r == Range::MinusOneOne ? "[-1, 1]" : r == Range::ZeroOne ? "[0, 1]" : "[0, 255]";
}
const char* resize_name(Resize r) {
  return r == Resize::Bilinear ? "bilinear" : r == Resize::Bicubic ? "bicubic" : r == Resize::Nearest ? "nearest" : "area";
}

class TorchScriptFeatures : public ganflow::Model, public FeatureExtractor {
 public:
  TorchScriptFeatures(FeatureNetSettings k, ganflow::ScriptedModule net)
      : k_(std::move(k)), net_(std::move(net)), sha256_(sha256_file(k_.file)) {
    if (net_->takes_argument("return_features")) flags_["return_features"] = true;
    net_->eval();
    for (auto& p : net_->parameters()) p.requires_grad_(false);  // frozen
    torch::NoGradGuard ng;
    const FeatureSet probe =
        features(torch::zeros({2, k_.channels, k_.input_size ? k_.input_size : 32, k_.input_size ? k_.input_size : 32}));
    dim_ = probe.features.size(1);
    classes_ = probe.logits.defined() ? probe.logits.size(1) : 0;
  }

  torch::nn::Module& module() override { return *net_; }
  torch::Tensor forward(const torch::Tensor& x) override { return features(x).features; }

  FeatureSet extract(const torch::Tensor& images, int64_t bs) override {
    torch::NoGradGuard ng;
    net_->to(images.device());
    net_->eval();
    std::vector<torch::Tensor> f, logits;
    for (int64_t s = 0; s < images.size(0); s += bs) {
      FeatureSet part = features(images.narrow(0, s, std::min(bs, images.size(0) - s)));
      f.push_back(part.features.to(torch::kCPU, torch::kDouble));
      if (classes_) logits.push_back(part.logits.to(torch::kCPU, torch::kFloat));
    }
    return {torch::cat(f), classes_ ? torch::cat(logits) : torch::Tensor()};
  }
  int64_t feature_dim() const override { return dim_; }
  std::string describe() const override {
    return k_.file + " sha256 " + sha256_.substr(0, 12) + ", input " + std::to_string(k_.channels) + " channels" +
           (k_.input_size ? ", " + std::to_string(k_.input_size) + "x" + std::to_string(k_.input_size) + " (" +
                                resize_name(k_.resize) + ")"
                          : ", as given") +
           " in " + range_name(k_.range) + ", feature_dim " + std::to_string(dim_) +
           (classes_ ? ", class logits " + std::to_string(classes_) : "");
  }
  ganflow::json identity() const override {
    return {{"network", "torchscript"},   {"file", k_.file},
            {"sha256", sha256_},          {"input_size", k_.input_size},
            {"channels", k_.channels},    {"input_range", range_name(k_.range)},
            {"resize", resize_name(k_.resize)}, {"feature_dim", dim_}};
  }

 private:
  // [n, C, H, W] in [-1, 1] -> the network's input -> [n, d], and [n, classes] when it returns logits too.
  FeatureSet features(torch::Tensor x) {
    if (x.dim() != 4) throw ganflow::Error("expected images [n, C, H, W], got " + c10::str(x.sizes()), name());
    x = x.to(torch::kFloat);
    if (x.size(1) == 1 && k_.channels == 3) x = x.expand({x.size(0), 3, x.size(2), x.size(3)});
    else if (x.size(1) == 3 && k_.channels == 1) x = x.mean(1, true);  // the channels' mean as the grey level
    else if (x.size(1) != k_.channels)
      throw ganflow::Error("images have " + std::to_string(x.size(1)) + " channels; the network takes " +
                               std::to_string(k_.channels),
                           name());
    if (k_.input_size && (x.size(2) != k_.input_size || x.size(3) != k_.input_size)) {
      namespace F = torch::nn::functional;
      auto o = F::InterpolateFuncOptions().size(std::vector<int64_t>{k_.input_size, k_.input_size});
      switch (k_.resize) {
        case Resize::Bilinear: o.mode(torch::kBilinear).align_corners(false); break;
        case Resize::Bicubic: o.mode(torch::kBicubic).align_corners(false); break;
        case Resize::Nearest: o.mode(torch::kNearest); break;
        case Resize::Area: o.mode(torch::kArea); break;
      }
      x = F::interpolate(x, o);
    }
    if (k_.range == Range::ZeroOne) x = (x + 1) / 2;
    else if (k_.range == Range::Zero255) x = (x + 1) * 127.5;
    const std::vector<torch::Tensor> out = net_->forward_outputs({x}, flags_);
    if (out.size() > 2)
      throw ganflow::Error(k_.file + ": the network returned " + std::to_string(out.size()) +
                               " tensors; expected the features, or (features, class logits)",
                           name());
    for (std::size_t i = 0; i < out.size(); ++i)
      if (out[i].dim() < 2 || out[i].size(0) != x.size(0))
        throw ganflow::Error(k_.file + ": the network returned " + (i ? "class logits " : "features ") +
                                 c10::str(out[i].sizes()) + " for " + std::to_string(x.size(0)) + " images, not one row per image",
                             name());
    if (out.size() == 2 && (out[1].dim() != 2 || out[1].size(1) < 2))
      throw ganflow::Error(k_.file + ": the network's second output must be class logits [n, C >= 2], got " +
                               c10::str(out[1].sizes()),
                           name());
    return {out[0].flatten(1), out.size() == 2 ? out[1] : torch::Tensor()};
  }

  FeatureNetSettings k_;
  ganflow::ScriptedModule net_;
  std::map<std::string, bool> flags_;  // return_features=True for StyleGAN's metric Inception
  std::string sha256_;
  int64_t dim_ = 0;
  int64_t classes_ = 0;  // the class logits' width; 0: features only
};
}  // namespace

void register_torchscript_features(ganflow::Registry& r) {
  ganflow::NodeSpec s("torchscript_features", ganflow::NodeKind::Model,
                      "A frozen TorchScript feature network as the feature space of evaluate, quality_monitor and "
                      "fid: for FID proper, the Inception-v3 TorchScript of StyleGAN's metrics "
                      "(docs/quality.md, \"FID on your own data\"). Images are brought to its channels (grey "
                      "repeated, RGB averaged), side (resized) and value range; its output, flattened, is the "
                      "feature row (a forward with a return_features argument is called with it true, as StyleGAN's "
                      "metrics call their Inception). A forward returning a tuple (features, class logits [n, C]) also "
                      "gives the class-histogram, Inception Score and class-agreement columns; else they are n/a.");
  using S = FeatureNetSettings;
  ganflow::Fields<S> f(s);
  f.add_path("file", &S::file, std::nullopt, "The TorchScript file (torch.jit.save).");
  f.add("input_size", &S::input_size, 0,
        "Side the images are resized to (Inception: 299); 0: as given (a network that resizes itself, as "
        "StyleGAN's, which takes any size).")
      .range(0, 4096);
  f.add("channels", &S::channels, 3, "Channels the network takes: 1 or 3.").range(1, 3);
  f.add_enum("input_range", &S::range,
             {{"-1..1", Range::MinusOneOne}, {"0..1", Range::ZeroOne}, {"0..255", Range::Zero255}}, "0..255",
             "The value range the network expects (StyleGAN's Inception: 0..255; torchvision models: 0..1).");
  f.add_enum("resize", &S::resize,
             {{"bilinear", Resize::Bilinear}, {"bicubic", Resize::Bicubic}, {"nearest", Resize::Nearest},
              {"area", Resize::Area}},
             "bilinear",
             "How images are resized to input_size (align_corners false, no antialiasing; pytorch-fid: bilinear). "
             "Scores are comparable only with the same network, resize and N.");
  s.role = "features";
  s.factory = [f](const ganflow::BuildContext& c) {
    FeatureNetSettings k = f.read(c);
    if (k.channels == 2) throw ganflow::Error("channels must be 1 or 3", c.node_name(), "channels");
    return std::make_shared<TorchScriptFeatures>(k, ganflow::ScriptedModule(k.file, c.node_name(), "file"));
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
