// fastai basic_generator: noise [bs, noise_sz, 1, 1] -> image [bs, n_channels, size, size] in [-1, 1].
#include <ganflow/ganflow.hpp>

#include "ganflow/layers/conv_transpose.hpp"

#include <torch/torch.h>

#include "model_params.hpp"

namespace ganflow_models {

namespace {
using namespace ganflow::layers;

// v2's AddChannels(2): [bs, n] -> [bs, n, 1, 1]; 4-D input passes (v1 noise already has the dims).
torch::Tensor add_unit_dims(const torch::Tensor& x) {
  return x.dim() == 2 ? x.view({x.size(0), x.size(1), 1, 1}) : x;
}

class BasicGenerator : public ganflow::SequentialModel {
 public:
  BasicGenerator(torch::nn::Sequential seq, int64_t noise_sz)
      : SequentialModel(std::move(seq)), noise_sz_(noise_sz) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    bool ok = (x.dim() == 2 || (x.dim() == 4 && x.size(2) == 1 && x.size(3) == 1)) && x.size(1) == noise_sz_;
    if (!ok)
      throw ganflow::Error("expected noise [bs, " + std::to_string(noise_sz_) + ", 1, 1] or [bs, " +
                               std::to_string(noise_sz_) + "], got " + c10::str(x.sizes()),
                           name());
    return SequentialModel::forward(add_unit_dims(x));
  }

 private:
  int64_t noise_sz_;
};

struct GeneratorSettings {  // read from the params register_basic_generator declares (their defaults are there)
  int64_t size{}, n_channels{}, noise_sz{}, n_features{}, n_extra{};
  BlockOrder order{};
  Norm norm{};
};

torch::nn::Sequential build(int64_t size, int64_t n_channels, int64_t noise_sz, int64_t n_features,
                            int64_t n_extra, BlockOrder order, Norm norm) {
  int64_t cur_size = 4, cur_ftrs = n_features / 2;
  while (cur_size < size) cur_size *= 2, cur_ftrs *= 2;
  auto block = [&](int64_t ni, int64_t nf) {
    return ConvLayerOptions(ni, nf).transposed().with_order(order).with_act(Act::ReLU).with_norm(norm);
  };
  torch::nn::Sequential seq;
  if (order == BlockOrder::V2) seq->push_back(torch::nn::Functional(add_unit_dims));
  seq->push_back(conv_layer(block(noise_sz, cur_ftrs).kernel(4).with_stride(1)));  // 1x1 -> 4x4
  for (cur_size = 4; cur_size < size / 2; cur_size *= 2, cur_ftrs /= 2)
    seq->push_back(conv_layer(block(cur_ftrs, cur_ftrs / 2).kernel(4).with_stride(2).with_padding(1)));
  for (int64_t i = 0; i < n_extra; ++i)
    seq->push_back(conv_layer(block(cur_ftrs, cur_ftrs).kernel(3).with_stride(1).with_padding(1)));
  // The output layer keeps PyTorch's default init in both fastai versions.
  seq->push_back(ganflow::layers::FastConvTranspose2d(
      torch::nn::ConvTranspose2dOptions(cur_ftrs, n_channels, 4).stride(2).padding(1).bias(false)));
  seq->push_back(torch::nn::Tanh());
  return seq;
}
}  // namespace

void register_basic_generator(ganflow::Registry& registry) {
  ganflow::NodeSpec s("basic_generator", ganflow::NodeKind::Model,
                      "fastai's DCGAN generator: noise [bs, noise_sz, 1, 1] (or [bs, noise_sz]) -> "
                      "[bs, n_channels, out_size, out_size] in [-1, 1]; transposed convs with BN and ReLU, "
                      "then ConvTranspose (no bias, PyTorch init) and Tanh.");
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
  s.factory = [f](const ganflow::BuildContext& c) {
    GeneratorSettings k = f.read(c.params());
    require_power_of_two(k.size, "out_size");
    return std::make_shared<BasicGenerator>(
        build(k.size, k.n_channels, k.noise_sz, k.n_features, k.n_extra, k.order, k.norm), k.noise_sz);
  };
  s.role = "generator";
  registry.add(std::move(s));
}

}  // namespace ganflow_models
