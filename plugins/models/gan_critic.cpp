// fastai v1 gan_critic (superres recipe): a spectral-normed patch critic, images -> [bs, N] logits;
// with n_classes > 0, class-conditional (projection and/or acgan; see conditional_critic.hpp).
#include <ganflow/ganflow.hpp>

#include <ganflow/layers/dense_res_block.hpp>
#include <ganflow/layers/self_attention.hpp>
#include <ganflow/layers/spectral_norm.hpp>

#include <torch/torch.h>

#include "conditional_critic.hpp"

namespace ganflow_models {

namespace {
using namespace ganflow::layers;

void check_gan_critic_input(const torch::Tensor& x, int64_t n_channels, int64_t n_blocks, const std::string& node) {
  if (x.dim() != 4 || x.size(1) != n_channels)
    throw ganflow::Error("expected images [bs, " + std::to_string(n_channels) + ", H, W], got " + c10::str(x.sizes()),
                         node);
  // n_blocks + 1 halvings, then a 4x4 valid conv: the side must stay >= 4 down there.
  int64_t side = std::min(x.size(2), x.size(3));
  for (int64_t i = 0; i <= n_blocks; ++i) side /= 2;
  if (side < 4)
    throw ganflow::Error("images of " + std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)) +
                             " are too small for n_blocks " + std::to_string(n_blocks) + " (the side after " +
                             std::to_string(n_blocks + 1) + " halvings must be >= 4)",
                         node);
}

class GanCritic : public ganflow::SequentialModel {
 public:
  GanCritic(torch::nn::Sequential seq, int64_t n_channels, int64_t n_blocks)
      : SequentialModel(std::move(seq)), n_channels_(n_channels), n_blocks_(n_blocks) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    check_gan_critic_input(x, n_channels_, n_blocks_, name());
    return SequentialModel::forward(x);
  }

 private:
  int64_t n_channels_, n_blocks_;
};

struct GanCriticSettings {  // read from the params register_gan_critic declares (their defaults are there)
  int64_t n_channels{}, nf{}, n_blocks{}, n_classes{};
  double p{};
  CriticConditioning conditioning{};
};
}  // namespace

// The network, and the feature maps that reach its output conv.
std::pair<torch::nn::Sequential, int64_t> build_gan_critic(int64_t n_channels, int64_t nf, int64_t n_blocks, double p) {
  torch::nn::Sequential seq;
  seq->push_back(spectral_conv_layer(SpectralConvOptions(n_channels, nf).kernel(4).with_stride(2)));
  seq->push_back(torch::nn::Dropout2d(p / 2));
  seq->push_back(DenseResBlock(nf));
  nf *= 2;  // the dense block concatenates its input
  for (int64_t i = 0; i < n_blocks; ++i, nf *= 2) {
    seq->push_back(torch::nn::Dropout2d(p));
    SequentialBlock conv = spectral_conv_layer(SpectralConvOptions(nf, nf * 2).kernel(4).with_stride(2));
    if (i == 0) conv->push_back(SelfAttention(nf * 2));  // fastai: self_attention=(i==0), after the act
    seq->push_back(conv);
  }
  seq->push_back(spectral_conv_layer(SpectralConvOptions(nf, 1).kernel(4).with_padding(0).with_bias(false).with_activation(false)));
  seq->push_back(torch::nn::Flatten());
  return {seq, nf};
}

void register_gan_critic(ganflow::Registry& registry) {
  ganflow::NodeSpec s("gan_critic", ganflow::NodeKind::Model,
                      "fastai's patch critic (superres GAN): spectral-normed convs with LeakyReLU 0.2, a dense res "
                      "block, self-attention after the first downsampling conv; images -> [bs, N] patch logits "
                      "(N = 25 at 128 px, 81 at 192). Pair with adaptive_loss.");
  using S = GanCriticSettings;
  ganflow::Fields<S> f(s);
  f.add("n_channels", &S::n_channels, 3, "Image channels.").range(1, 1024);
  f.add("nf", &S::nf, 128, "Feature maps of the first conv (doubled by the dense block and by each block).")
      .range(8, 8192);
  f.add("n_blocks", &S::n_blocks, 3, "Stride-2 blocks after the dense block; images need a side >= 4 * 2^(n_blocks+1).")
      .range(1, 8);
  f.add("p", &S::p, 0.15, "Dropout2d probability of the blocks (p/2 after the first conv).").range(0, 1);
  f.add("n_classes", &S::n_classes, 0, "Classes the critic is conditioned on (0: unconditional).").range(0, 100000);
  add_critic_conditioning(f, &S::conditioning);
  s.classes_param = "n_classes";
  s.factory = [f](const ganflow::BuildContext& c) {
    GanCriticSettings k = f.read(c.params());
    // 2*nf channels reach the self-attention, whose query needs C/8 >= 1: nf >= 8 suffices.
    auto [seq, features] = build_gan_critic(k.n_channels, k.nf, k.n_blocks, k.p);
    if (k.n_classes == 0) return std::shared_ptr<ganflow::Model>(std::make_shared<GanCritic>(seq, k.n_channels, k.n_blocks));
    const int64_t n_channels = k.n_channels, n_blocks = k.n_blocks;
    return conditional_critic_model(seq, features, k.n_classes, k.conditioning,
                                    [=](const torch::Tensor& x, const std::string& node) {
                                      check_gan_critic_input(x, n_channels, n_blocks, node);
                                    });
  };
  s.role = "critic";
  registry.add(std::move(s));
}

}  // namespace ganflow_models
