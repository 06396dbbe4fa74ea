// A small U-Net generator for image-to-image GANs (fastai's unet_learner/DynamicUnet, scaled
// down): no pretrained ResNet34 exists here, so the encoder is trained from scratch; a user
// plugs a pretrained encoder in through `encoder_weights` (a state dict of encoder.* tensors).
#include <ganflow/ganflow.hpp>

#include <ganflow/layers/conv_layer.hpp>
#include <ganflow/layers/self_attention.hpp>
#include <ganflow/state_dict.hpp>
#include <ganflow/torchscript.hpp>

#include <torch/torch.h>

#include "unet_upsample.hpp"

namespace ganflow_models {

namespace {
using namespace ganflow::layers;

struct UnetConfig {
  int64_t in_channels, out_channels, nf, n_down;
  bool self_attention, blur;
  Upsample upsample;
  std::vector<double> y_range;  // empty or [low, high]
};

struct UnetSettings {  // read from the params register_unet_generator declares (their defaults are there)
  UnetConfig net;               // out_channels 0: as in_channels
  std::string encoder_weights;  // "run:" resolved; empty: none
};

SequentialBlock conv_bn_relu(int64_t ni, int64_t nf, int64_t stride = 1) {
  return conv_layer(ConvLayerOptions(ni, nf).with_stride(stride));
}

// encoder[0] = stem (full resolution); encoder[i] = stride-2 conv + conv (c -> 2c).
// Each decoder level: upsample (c -> c/2), cat the encoder's skip (c/2), two convs (c -> c/2).
class UnetImpl : public torch::nn::Module, public ganflow::Scriptable {
 public:
  explicit UnetImpl(const UnetConfig& k) : k_(k) {
    encoder = register_module("encoder", torch::nn::ModuleList());
    int64_t c = k.nf;
    encoder->push_back(conv_bn_relu(k.in_channels, c));
    for (int64_t i = 0; i < k.n_down; ++i, c *= 2) {
      SequentialBlock down = conv_bn_relu(c, 2 * c, 2);
      down->push_back(conv_bn_relu(2 * c, 2 * c));
      encoder->push_back(down);
    }
    middle = conv_bn_relu(c, c);
    if (k.self_attention) middle->push_back(SelfAttention(c));
    register_module("middle", middle);
    ups = register_module("ups", torch::nn::ModuleList());
    merges = register_module("merges", torch::nn::ModuleList());
    for (int64_t i = 0; i < k.n_down; ++i, c /= 2) {
      ups->push_back(upsample_block(c, c / 2, k.upsample, k.blur));
      SequentialBlock merge = conv_bn_relu(c, c / 2);
      merge->push_back(conv_bn_relu(c / 2, c / 2));
      merges->push_back(merge);
    }
    // fastai's last_cross: the input joins the features before the output conv.
    head = conv_bn_relu(c + k.in_channels, c);
    head->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c, k.out_channels, 1)));
    register_module("head", head);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> skips;
    torch::Tensor h = x;
    for (std::size_t i = 0; i < encoder->size(); ++i) {
      if (i > 0) skips.push_back(h);
      h = encoder->ptr<SequentialBlockImpl>(i)->forward(h);
    }
    h = middle(h);
    for (std::size_t i = 0; i < ups->size(); ++i) {
      h = ups->ptr<SequentialBlockImpl>(i)->forward(h);
      h = merges->ptr<SequentialBlockImpl>(i)->forward(torch::cat({h, skips[skips.size() - 1 - i]}, 1));
    }
    h = head(torch::cat({h, x}, 1));
    if (k_.y_range.size() == 2) h = torch::sigmoid(h) * (k_.y_range[1] - k_.y_range[0]) + k_.y_range[0];
    return h;
  }

  std::string torchscript() const override {
    std::string src = "def forward(self, x: Tensor) -> Tensor:\n    h = x\n";
    for (std::size_t i = 0; i < encoder->size(); ++i) {
      if (i > 0) src += "    skip" + std::to_string(i - 1) + " = h\n";
      src += "    h = getattr(self.encoder, \"" + std::to_string(i) + "\").forward(h)\n";
    }
    src += "    h = self.middle.forward(h)\n";
    for (std::size_t i = 0; i < ups->size(); ++i) {
      const std::string n = std::to_string(i);
      src += "    h = getattr(self.ups, \"" + n + "\").forward(h)\n    h = getattr(self.merges, \"" + n + "\").forward(torch.cat([h, skip" +
             std::to_string(encoder->size() - 2 - i) + "], 1))\n";
    }
    src += "    h = self.head.forward(torch.cat([h, x], 1))\n";
    if (k_.y_range.size() == 2)
      src += "    h = torch.sigmoid(h) * " + ganflow::script_float(k_.y_range[1] - k_.y_range[0]) + " + " +
             ganflow::script_float(k_.y_range[0]) + "\n";
    return src + "    return h\n";
  }

  torch::nn::ModuleList encoder{nullptr}, ups{nullptr}, merges{nullptr};
  SequentialBlock middle{nullptr}, head{nullptr};

 private:
  UnetConfig k_;
};
TORCH_MODULE(Unet);

class UnetGenerator : public ganflow::Model {
 public:
  explicit UnetGenerator(const UnetConfig& k) : k_(k), net_(k) {}
  torch::nn::Module& module() override { return *net_; }
  torch::Tensor forward(const torch::Tensor& x) override {
    const int64_t m = int64_t(1) << k_.n_down;
    if (x.dim() != 4 || x.size(1) != k_.in_channels || x.size(2) % m || x.size(3) % m)
      throw ganflow::Error("expected images [bs, " + std::to_string(k_.in_channels) + ", H, W] with H and W multiples of " +
                               std::to_string(m) + " (2^n_down), got " + c10::str(x.sizes()),
                           name());
    return net_->forward(x);
  }

 private:
  UnetConfig k_;
  Unet net_;
};

// Copies a pickled dict of tensors (torch.save(state_dict) of a model, or the encoder's part)
// into the encoder: keys "encoder.<...>" (or "<...>", taken as under encoder.).
void load_encoder_weights(torch::nn::Module& net, const std::string& path) {
  const ganflow::StateDict sd = ganflow::load_state_dict_file(path, "encoder_weights");
  auto params = net.named_parameters(true);
  auto buffers = net.named_buffers(true);
  torch::NoGradGuard ng;
  int64_t loaded = 0;
  for (const auto& item : sd) {
    std::string key = item.key();
    if (key.rfind("encoder.", 0) != 0) key = "encoder." + key;
    torch::Tensor* dst = params.find(key);
    if (!dst) dst = buffers.find(key);
    if (!dst) continue;  // decoder/head keys of a whole-model state dict are not the encoder's
    const torch::Tensor& src = item.value();
    if (src.sizes() != dst->sizes())
      throw ganflow::Error(path + ": " + key + " has shape " + c10::str(src.sizes()) + ", the encoder's is " +
                               c10::str(dst->sizes()), "", "encoder_weights");
    dst->copy_(src);
    ++loaded;
  }
  if (loaded == 0) throw ganflow::Error(path + " has no tensor of this encoder (keys encoder.*)", "", "encoder_weights");
}
}  // namespace

void register_unet_generator(ganflow::Registry& registry) {
  ganflow::NodeSpec s("unet_generator", ganflow::NodeKind::Model,
                      "A small U-Net (fastai DynamicUnet, scaled down) for image-to-image generators: conv-BN-ReLU "
                      "encoder with n_down stride-2 levels, optional self-attention at the bottleneck, decoder with "
                      "skip connections, pixel-shuffle (ICNR) or transposed-conv upsampling with optional blur, the "
                      "input concatenated before the output conv, optional y_range sigmoid. No pretrained ResNet34 "
                      "exists here: the encoder is trained from scratch unless encoder_weights names a state dict.");
  using K = UnetConfig;
  ganflow::Fields<K> net(s);
  net.add("n_channels", &K::in_channels, 3, "Input image channels.").range(1, 1024);
  net.add("out_channels", &K::out_channels, 0, "Output image channels; 0: as n_channels.").range(0, 1024);
  net.add("nf", &K::nf, 32, "Feature maps at full resolution (doubled at each level down).").range(8, 8192);
  net.add("n_down", &K::n_down, 2, "Stride-2 levels; H and W must be multiples of 2^n_down.").range(1, 6);
  net.add("self_attention", &K::self_attention, true,
          "SelfAttention (SAGAN) at the bottleneck (fastai unet self_attention=True).");
  net.add_enum("upsample", &K::upsample,
               {{"pixel_shuffle", Upsample::PixelShuffle}, {"transpose", Upsample::Transpose}}, "pixel_shuffle",
               "pixel_shuffle: 1x1 conv + PixelShuffle(2), ICNR init (fastai); transpose: 2x2 stride-2 ConvTranspose.");
  net.add("blur", &K::blur, true,
          "Blur after each upsampling (fastai blur=True): pad right/bottom + 2x2 average, stride 1.");
  net.add_list("y_range", &K::y_range, {},
               "[] (linear output) or [low, high]: sigmoid(x) * (high - low) + low (fastai y_range).");
  ganflow::Fields<UnetSettings> f(s);
  f.nest(&UnetSettings::net, net);
  f.add_path("encoder_weights", &UnetSettings::encoder_weights, "",
             "A torch.save'd dict of tensors loaded into the encoder at build (keys encoder.* or relative to it; "
             "other keys ignored), e.g. a pretrained encoder converted to this layout or an earlier run's "
             "<stage>_model.pt. A 'run:' prefix names a file in the run folder.");
  s.factory = [f](const ganflow::BuildContext& c) {
    UnetSettings st = f.read(c);
    UnetConfig& k = st.net;
    if (k.out_channels == 0) k.out_channels = k.in_channels;
    if (!k.y_range.empty() && (k.y_range.size() != 2 || !(k.y_range[0] < k.y_range[1])))
      throw ganflow::Error("expected [] or [low, high] with low < high", "", "y_range");
    auto model = std::make_shared<UnetGenerator>(k);
    if (!st.encoder_weights.empty()) load_encoder_weights(model->module(), st.encoder_weights);
    return model;
  };
  s.role = "generator";
  registry.add(std::move(s));
}

}  // namespace ganflow_models
