// Hinge GAN loss (Lim & Ye 2017, SAGAN): critic scores real HIGH and fake LOW.
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class HingeGen : public ganflow::GenLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override { return -b.fake_pred.mean(); }
};

class HingeCrit : public ganflow::CritLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    return torch::relu(1 - b.real_pred).mean() + torch::relu(1 + b.fake_pred).mean();
  }
};
}  // namespace

void register_hinge(ganflow::Registry& r) {
  ganflow::NodeSpec g("hinge_gen", ganflow::NodeKind::GenLoss,
                      "Hinge generator loss: -fake_pred.mean(). Convention real HIGH, fake LOW (the opposite of "
                      "fastai's wasserstein): pair only with hinge_crit.");
  g.factory = [](const ganflow::BuildContext&) { return std::make_shared<HingeGen>(); };
  r.add(std::move(g));

  ganflow::NodeSpec c("hinge_crit", ganflow::NodeKind::CritLoss,
                      "Hinge critic loss: relu(1 - real_pred).mean() + relu(1 + fake_pred).mean(). Convention "
                      "real HIGH, fake LOW: pair only with hinge_gen.");
  c.factory = [](const ganflow::BuildContext&) { return std::make_shared<HingeCrit>(); };
  r.add(std::move(c));
}

}  // namespace ganflow_losses
