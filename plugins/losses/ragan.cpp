// Relativistic average GAN, BCE form (RaSGAN, Jolicoeur-Martineau 2018): each side is scored
// against the average of the other, and both losses average their two terms as the paper's code.
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
// Mean BCE with logits of `logits` against a constant label.
torch::Tensor bce_to(const torch::Tensor& logits, double label) {
  return torch::binary_cross_entropy_with_logits(logits, torch::full_like(logits, label));
}

class RaganGen : public ganflow::GenLoss {
 public:
  bool needs_real_pred() const override { return true; }
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    // The real scores come without a graph; the gradient reaches G through both fake terms.
    return 0.5 * (bce_to(b.fake_pred - b.real_pred.mean(), 1) + bce_to(b.real_pred - b.fake_pred.mean(), 0));
  }
};

class RaganCrit : public ganflow::CritLoss {
 public:
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    return 0.5 * (bce_to(b.real_pred - b.fake_pred.mean(), 1) + bce_to(b.fake_pred - b.real_pred.mean(), 0));
  }
};
}  // namespace

void register_ragan(ganflow::Registry& r) {
  ganflow::NodeSpec g("ragan_gen", ganflow::NodeKind::GenLoss,
                      "Relativistic average GAN generator loss (RaSGAN): 0.5 * (BCE(fake_pred - mean(real_pred), 1) + "
                      "BCE(real_pred - mean(fake_pred), 0)). Scores the real batch too (one more critic forward "
                      "without a graph). Pair with ragan_crit.");
  g.factory = [](const ganflow::BuildContext&) { return std::make_shared<RaganGen>(); };
  r.add(std::move(g));

  ganflow::NodeSpec c("ragan_crit", ganflow::NodeKind::CritLoss,
                      "Relativistic average GAN critic loss (RaSGAN): 0.5 * (BCE(real_pred - mean(fake_pred), 1) + "
                      "BCE(fake_pred - mean(real_pred), 0)). Pair with ragan_gen.");
  c.factory = [](const ganflow::BuildContext&) { return std::make_shared<RaganCrit>(); };
  r.add(std::move(c));
}

}  // namespace ganflow_losses
