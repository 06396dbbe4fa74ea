// fastai basic_critic: image [bs, n_channels, size, size] -> score [bs, 1] (v2 Flatten) or [1] (v1 AvgFlatten);
// with n_classes > 0, class-conditional (projection and/or acgan; see conditional_critic.hpp).
#include <ganflow/ganflow.hpp>

#include <torch/torch.h>

#include "ganflow/layers/conv2d.hpp"

#include "conditional_critic.hpp"
#include "model_params.hpp"
#include "reshape_modules.hpp"

namespace ganflow_models {

namespace {
using namespace ganflow::layers;

void check_basic_critic_input(const torch::Tensor& x, int64_t n_channels, int64_t size, const std::string& node) {
  if (x.dim() != 4 || x.size(1) != n_channels || x.size(2) != size || x.size(3) != size)
    throw ganflow::Error("expected images [bs, " + std::to_string(n_channels) + ", " + std::to_string(size) + ", " +
                             std::to_string(size) + "], got " + c10::str(x.sizes()),
                         node);
}

class BasicCritic : public ganflow::SequentialModel {
 public:
  BasicCritic(torch::nn::Sequential seq, int64_t n_channels, int64_t size)
      : SequentialModel(std::move(seq)), n_channels_(n_channels), size_(size) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    check_basic_critic_input(x, n_channels_, size_, name());
    return SequentialModel::forward(x);
  }

 private:
  int64_t n_channels_, size_;
};

struct CriticConfig {  // read from the params register_basic_critic declares (their defaults are there)
  int64_t size{}, n_channels{}, n_features{}, n_extra{}, n_classes{};
  CriticConditioning conditioning{};
  Act act{};
  double slope{};
  BlockOrder order{};
  Norm norm{};
  bool batch_mean{};  // output = batch_mean
};

// The network, and the feature maps that reach its output conv.
std::pair<torch::nn::Sequential, int64_t> build(const CriticConfig& k) {
  auto block = [&](int64_t ni, int64_t nf) {
    return ConvLayerOptions(ni, nf).with_order(k.order).with_act(k.act, k.slope).with_norm(k.norm);
  };
  torch::nn::Sequential seq;
  seq->push_back(conv_layer(block(k.n_channels, k.n_features).kernel(4).with_stride(2).with_padding(1).with_norm(Norm::None)));
  int64_t cur_size = k.size / 2, cur_ftrs = k.n_features;
  SequentialBlock extra;
  for (int64_t i = 0; i < k.n_extra; ++i) extra->push_back(conv_layer(block(cur_ftrs, cur_ftrs).kernel(3).with_stride(1)));
  if (k.order == BlockOrder::V2) {
    for (auto& m : *extra) seq->push_back(m);
  } else if (extra->is_empty()) {
    seq->push_back(torch::nn::Identity());  // v1 appends an empty Sequential here: keep the indices
  } else {
    seq->push_back(extra);  // v1 wraps the extra layers in one Sequential
  }
  for (; cur_size > 4; cur_size /= 2, cur_ftrs *= 2)
    seq->push_back(conv_layer(block(cur_ftrs, cur_ftrs * 2).kernel(4).with_stride(2).with_padding(1)));
  // Output conv: kaiming_normal_, bias zeroed; v1's conv2d has no bias, v2's nn.Conv2d has one.
  ganflow::layers::FastConv2d out(torch::nn::Conv2dOptions(cur_ftrs, 1, 4).padding(0).bias(k.order == BlockOrder::V2));
  init_kaiming_normal_zero_bias(*out);
  seq->push_back(out);
  if (k.batch_mean) seq->push_back(BatchMean());
  else seq->push_back(torch::nn::Flatten());
  return {seq, cur_ftrs};
}

std::shared_ptr<ganflow::Model> make_critic(const CriticConfig& k) {
  auto [seq, features] = build(k);
  if (k.n_classes == 0) return std::make_shared<BasicCritic>(seq, k.n_channels, k.size);
  if (k.batch_mean) throw ganflow::Error("a class-conditional critic scores each image: use output flatten", "", "output");
  const int64_t n_channels = k.n_channels, size = k.size;
  return conditional_critic_model(seq, features, k.n_classes, k.conditioning,
                                  [=](const torch::Tensor& x, const std::string& node) {
                                    check_basic_critic_input(x, n_channels, size, node);
                                  });
}
}  // namespace

void register_basic_critic(ganflow::Registry& registry) {
  ganflow::NodeSpec s("basic_critic", ganflow::NodeKind::Model,
                      "fastai's DCGAN critic: [bs, n_channels, in_size, in_size] -> one logit per image; "
                      "stride-2 convs (first without BN, with bias) down to 4x4, then a 4x4 conv to 1x1.");
  using S = CriticConfig;
  ganflow::Fields<S> f(s);
  f.add("in_size", &S::size, 32, "Image side; a power of two >= 8.").range(8, 8192);
  f.add("n_channels", &S::n_channels, 1, "Image channels.").range(1, 1024);
  f.add("n_features", &S::n_features, 64, "Feature maps of the first layer (doubling at each downsampling).")
      .range(1, 8192);
  f.add("n_extra_layers", &S::n_extra, 0, "Extra 3x3 stride-1 blocks after the first layer.").range(0, 64);
  f.add_enum("act", &S::act, {{"leaky_relu", Act::LeakyReLU}, {"relu", Act::ReLU}}, "leaky_relu",
             "Activation of every block (fastai v1 and the v2 notebooks: LeakyReLU 0.2).");
  f.add("slope", &S::slope, 0.2, "Negative slope of leaky_relu.").range(0, 1);
  add_block_order(f, &S::order);
  add_norm(f, &S::norm);
  f.add_enum("output", &S::batch_mean, {{"flatten", false}, {"batch_mean", true}}, "flatten",
             "flatten: [bs, 1] (fastai v2 Flatten); batch_mean: [1], the batch mean (fastai v1 AvgFlatten).");
  f.add("n_classes", &S::n_classes, 0, "Classes the critic is conditioned on (0: unconditional).").range(0, 100000);
  add_critic_conditioning(f, &S::conditioning);
  s.classes_param = "n_classes";
  s.factory = [f](const ganflow::BuildContext& c) {
    CriticConfig k = f.read(c.params());
    require_power_of_two(k.size, "in_size");
    return make_critic(k);
  };
  s.role = "critic";
  registry.add(std::move(s));
}

}  // namespace ganflow_models
