// Least-squares GAN (Mao et al. 2017) with a = 0 (fake), b = c = 1 (real).
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class LsganGen : public ganflow::GenLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    return 0.5 * (b.fake_pred - 1).pow(2).mean();
  }
};

class LsganCrit : public ganflow::CritLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    return 0.5 * (b.real_pred - 1).pow(2).mean() + 0.5 * b.fake_pred.pow(2).mean();
  }
};
}  // namespace

void register_lsgan(ganflow::Registry& r) {
  ganflow::NodeSpec g("lsgan_gen", ganflow::NodeKind::GenLoss,
                      "LSGAN generator loss: 0.5 * mean((fake_pred - 1)^2). Real = 1, fake = 0 (as gan_crit_loss): "
                      "pair with lsgan_crit.");
  g.factory = [](const ganflow::BuildContext&) { return std::make_shared<LsganGen>(); };
  r.add(std::move(g));

  ganflow::NodeSpec c("lsgan_crit", ganflow::NodeKind::CritLoss,
                      "LSGAN critic loss: 0.5 * mean((real_pred - 1)^2) + 0.5 * mean(fake_pred^2). Real = 1, "
                      "fake = 0: pair with lsgan_gen.");
  c.factory = [](const ganflow::BuildContext&) { return std::make_shared<LsganCrit>(); };
  r.add(std::move(c));
}

}  // namespace ganflow_losses
