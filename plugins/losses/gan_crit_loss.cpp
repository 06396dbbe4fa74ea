// gan_loss_from_func's _loss_C: (loss_crit(real_pred, ones) + loss_crit(fake_pred, zeros)) / 2.
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class GanCritLoss : public ganflow::CritLoss {
 public:
  explicit GanCritLoss(std::shared_ptr<ganflow::Loss> crit) : crit_(std::move(crit)) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    auto ones = torch::ones({b.real_pred.size(0)}, b.real_pred.options());
    auto zeros = torch::zeros({b.fake_pred.size(0)}, b.fake_pred.options());
    return (crit_->forward(b.real_pred, ones) + crit_->forward(b.fake_pred, zeros)) / 2;
  }

 private:
  std::shared_ptr<ganflow::Loss> crit_;
};
}  // namespace

void register_gan_crit_loss(ganflow::Registry& r) {
  ganflow::NodeSpec s("gan_crit_loss", ganflow::NodeKind::CritLoss,
                      "fastai gan_loss_from_func critic loss: (loss_crit(real_pred, 1) + loss_crit(fake_pred, 0)) / 2. "
                      "Real = 1, fake = 0: pair with gan_gen_loss.");
  s.input("loss_crit", {ganflow::NodeKind::Loss}, "Loss on the critic's scores against per-image labels (adaptive_loss).");
  s.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<GanCritLoss>(c.input<ganflow::Loss>("loss_crit"));
  };
  r.add(std::move(s));
}

}  // namespace ganflow_losses
