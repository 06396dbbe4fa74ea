// fastai's wgan losses: NoopLoss / _tk_mean (generator) and WassersteinLoss / _tk_diff (critic).
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class Noop : public ganflow::GenLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override { return b.fake_pred.mean(); }
};

class Wasserstein : public ganflow::CritLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override { return b.real_pred.mean() - b.fake_pred.mean(); }
};
}  // namespace

void register_wasserstein(ganflow::Registry& r) {
  ganflow::NodeSpec n("noop", ganflow::NodeKind::GenLoss,
                      "fastai wgan generator loss: fake_pred.mean(). fastai's sign convention (critic scores real "
                      "LOW, fake HIGH; mirrored w.r.t. the WGAN paper): pair with wasserstein or wgan_gp.");
  n.factory = [](const ganflow::BuildContext&) { return std::make_shared<Noop>(); };
  r.add(std::move(n));

  ganflow::NodeSpec w("wasserstein", ganflow::NodeKind::CritLoss,
                      "fastai wgan critic loss: real_pred.mean() - fake_pred.mean(), so the critic learns to score "
                      "real LOW and fake HIGH (fastai's convention, mirrored w.r.t. the WGAN paper; the loss is "
                      "usually negative). Pair with noop; use clip or wgan_gp for the Lipschitz constraint.");
  w.factory = [](const ganflow::BuildContext&) { return std::make_shared<Wasserstein>(); };
  r.add(std::move(w));
}

}  // namespace ganflow_losses
