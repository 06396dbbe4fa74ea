// fastai basic_generator: noise [bs, noise_sz, 1, 1] -> image [bs, n_channels, size, size] in [-1, 1];
// with n_classes > 0, class-conditional (cbn or concat; see conditional_generator.hpp).
#include <ganflow/ganflow.hpp>

#include "ganflow/layers/conv_transpose.hpp"

#include <torch/torch.h>

#include "conditional_generator.hpp"
#include "labelled_net.hpp"
#include "model_params.hpp"
#include "reshape_modules.hpp"

namespace ganflow_models {

namespace {
using namespace ganflow::layers;

void check_noise(const torch::Tensor& x, int64_t noise_sz, const std::string& node) {
  bool ok = (x.dim() == 2 || (x.dim() == 4 && x.size(2) == 1 && x.size(3) == 1)) && x.size(1) == noise_sz;
  if (!ok)
    throw ganflow::Error("expected noise [bs, " + std::to_string(noise_sz) + ", 1, 1] or [bs, " +
                             std::to_string(noise_sz) + "], got " + c10::str(x.sizes()),
                         node);
}

class BasicGenerator : public ganflow::SequentialModel {
 public:
  BasicGenerator(torch::nn::Sequential seq, int64_t noise_sz)
      : SequentialModel(std::move(seq)), noise_sz_(noise_sz) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    check_noise(x, noise_sz_, name());
    return SequentialModel::forward(AddUnitDimsImpl::apply(x));  // v1 noise already has the dims
  }

 private:
  int64_t noise_sz_;
};

enum class Conditioning { Cbn, Concat };

struct GeneratorSettings {  // read from the params register_basic_generator declares (their defaults are there)
  int64_t size{}, n_channels{}, noise_sz{}, n_features{}, n_extra{}, n_classes{}, class_dim{};
  BlockOrder order{};
  Norm norm{};
  Conditioning conditioning{};
};

// The inner blocks (transposed convs with norm and ReLU) for an input of `noise_in` values, and
// the feature maps that reach the output layer.
struct Layout {
  std::vector<ConvLayerOptions> blocks;
  int64_t out_ftrs = 0;
};

Layout layout(const GeneratorSettings& k, int64_t noise_in) {
  int64_t cur_size = 4, cur_ftrs = k.n_features / 2;
  while (cur_size < k.size) cur_size *= 2, cur_ftrs *= 2;
  auto block = [&](int64_t ni, int64_t nf) {
    return ConvLayerOptions(ni, nf).transposed().with_order(k.order).with_act(Act::ReLU).with_norm(k.norm);
  };
  Layout l;
  l.blocks.push_back(block(noise_in, cur_ftrs).kernel(4).with_stride(1));  // 1x1 -> 4x4
  for (cur_size = 4; cur_size < k.size / 2; cur_size *= 2, cur_ftrs /= 2)
    l.blocks.push_back(block(cur_ftrs, cur_ftrs / 2).kernel(4).with_stride(2).with_padding(1));
  for (int64_t i = 0; i < k.n_extra; ++i) l.blocks.push_back(block(cur_ftrs, cur_ftrs).kernel(3).with_stride(1).with_padding(1));
  l.out_ftrs = cur_ftrs;
  return l;
}

torch::nn::Sequential build(const GeneratorSettings& k, int64_t noise_in) {
  const Layout l = layout(k, noise_in);
  torch::nn::Sequential seq;
  if (k.order == BlockOrder::V2) seq->push_back(AddUnitDims());
  for (const auto& o : l.blocks) seq->push_back(conv_layer(o));
  // The output layer keeps PyTorch's default init in both fastai versions.
  seq->push_back(ganflow::layers::FastConvTranspose2d(
      torch::nn::ConvTranspose2dOptions(l.out_ftrs, k.n_channels, 4).stride(2).padding(1).bias(false)));
  seq->push_back(torch::nn::Tanh());
  return seq;
}

std::shared_ptr<ganflow::Model> make_generator(const GeneratorSettings& k) {
  if (k.n_classes == 0) return std::make_shared<BasicGenerator>(build(k, k.noise_sz), k.noise_sz);
  if (k.norm == Norm::None && k.conditioning == Conditioning::Cbn)
    throw ganflow::Error("cbn conditions the BatchNorm layers, and norm is none; use norm batch or concat", "",
                         "conditioning");
  std::shared_ptr<LabelledNet> net;
  if (k.conditioning == Conditioning::Cbn) {
    const Layout l = layout(k, k.noise_sz);
    net = std::make_shared<CbnGenerator>(l.blocks, l.out_ftrs, k.n_channels, k.n_classes, k.class_dim);
  } else {
    net = std::make_shared<ConcatGenerator>(build(k, k.noise_sz + k.n_classes), k.n_classes);
  }
  const int64_t noise_sz = k.noise_sz;
  return std::make_shared<LabelledNetModel>(net, k.n_classes, 0, [noise_sz](const torch::Tensor& x, const std::string& node) {
    check_noise(x, noise_sz, node);
  });
}
}  // namespace

void register_basic_generator(ganflow::Registry& registry) {
  ganflow::NodeSpec s("basic_generator", ganflow::NodeKind::Model,
                      "fastai's DCGAN generator: noise [bs, noise_sz, 1, 1] (or [bs, noise_sz]) -> "
                      "[bs, n_channels, out_size, out_size] in [-1, 1]; transposed convs with BN and ReLU, "
                      "then ConvTranspose (no bias, PyTorch init) and Tanh. With n_classes > 0 it draws the "
                      "class it is given (class-conditional BatchNorm, or the class embedding joined to the noise).");
  using S = GeneratorSettings;
  ganflow::Fields<S> f(s);
  f.add("out_size", &S::size, 32, "Image side; a power of two >= 8.").range(8, 8192);
  f.add("n_channels", &S::n_channels, 1, "Image channels.").range(1, 1024);
  f.add("noise_sz", &S::noise_sz, 100, "Length of the noise vector (fastai v2 in_sz).").range(1, 65536);
  f.add("n_features", &S::n_features, 64, "Feature maps of the last inner layer (doubling towards the input).")
      .range(2, 8192);
  f.add("n_extra_layers", &S::n_extra, 0, "Extra 3x3 stride-1 blocks before the output layer.").range(0, 64);
  add_block_order(f, &S::order);
  add_norm(f, &S::norm);
  f.add("n_classes", &S::n_classes, 0, "Classes the generator is conditioned on (0: unconditional).").range(0, 100000);
  f.add_enum("conditioning", &S::conditioning, {{"cbn", Conditioning::Cbn}, {"concat", Conditioning::Concat}}, "cbn",
             "With n_classes > 0: cbn, every BatchNorm's gain and bias linear in a shared class embedding (BigGAN); "
             "concat, a learned class embedding (n_classes wide) joined to the noise (Mirza & Osindero).");
  f.add("class_dim", &S::class_dim, 128, "cbn: width of the shared class embedding (BigGAN: 128).").range(1, 4096);
  s.classes_param = "n_classes";
  s.factory = [f](const ganflow::BuildContext& c) {
    GeneratorSettings k = f.read(c.params());
    require_power_of_two(k.size, "out_size");
    return make_generator(k);
  };
  s.role = "generator";
  registry.add(std::move(s));
}

}  // namespace ganflow_models
