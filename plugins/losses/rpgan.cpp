// Relativistic pairing GAN (RpGAN; Jolicoeur-Martineau 2018, R3GAN's loss, Huang et al. 2024):
// each fake is scored against the real image it is paired with in the batch, not against the
// batch mean as in RaGAN. Critic: softplus(fake_pred - real_pred); generator: the sides swapped.
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
// mean softplus(a - b), a and b paired image by image.
torch::Tensor paired(const torch::Tensor& a, const torch::Tensor& b, const std::string& node) {
  if (a.sizes() != b.sizes())
    throw ganflow::Error("pairs real and fake scores image by image, and got " + c10::str(a.sizes()) + " against " +
                             c10::str(b.sizes()) + " (the real and fake batches must be the same size)",
                         node);
  return torch::softplus(a - b).mean();
}

class RpganGen : public ganflow::GenLoss {
 public:
  bool needs_real_pred() const override { return true; }
  // The real scores come without a graph; the gradient reaches G through fake_pred.
  torch::Tensor forward(const ganflow::CriticBatch& b) override { return paired(b.real_pred, b.fake_pred, name()); }
};

class RpganCrit : public ganflow::CritLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override { return paired(b.fake_pred, b.real_pred, name()); }
};
}  // namespace

void register_rpgan(ganflow::Registry& r) {
  ganflow::NodeSpec g("rpgan_gen", ganflow::NodeKind::GenLoss,
                      "Relativistic pairing GAN generator loss (RpGAN, R3GAN's): mean softplus(real_pred - "
                      "fake_pred), the i-th fake against the i-th real image. Scores the real batch too (one more "
                      "critic forward without a graph). Pair with rpgan_crit.");
  g.factory = [](const ganflow::BuildContext&) { return std::make_shared<RpganGen>(); };
  r.add(std::move(g));

  ganflow::NodeSpec c("rpgan_crit", ganflow::NodeKind::CritLoss,
                      "Relativistic pairing GAN critic loss (RpGAN): mean softplus(fake_pred - real_pred), image "
                      "by image. Convention real HIGH, fake LOW. Pair with rpgan_gen; R3GAN adds r1 and r2.");
  c.factory = [](const ganflow::BuildContext&) { return std::make_shared<RpganCrit>(); };
  r.add(std::move(c));
}

}  // namespace ganflow_losses
