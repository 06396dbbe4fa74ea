// gan_loss_from_func's _loss_G: w0 * loss_crit(fake_pred, ones) + w1 * loss_gen(output, target).
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class GanGenLoss : public ganflow::GenLoss {
 public:
  GanGenLoss(std::shared_ptr<ganflow::Loss> crit, std::shared_ptr<ganflow::Loss> gen, std::vector<double> w)
      : crit_(std::move(crit)), gen_(std::move(gen)), w_(std::move(w)) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    auto adv = w_[0] * crit_->forward(b.fake_pred, torch::ones({b.fake_pred.size(0)}, b.fake_pred.options()));
    // fastai v2's argument order: the pixel loss sees (generated, real), fixing v1's swap.
    return gen_ ? adv + w_[1] * gen_->forward(b.fake, b.real) : adv;
  }

 private:
  std::shared_ptr<ganflow::Loss> crit_, gen_;
  std::vector<double> w_;
};

struct GanGenLossSettings {  // read from the param register_gan_gen_loss declares (its default is there)
  std::vector<double> weights_gen;
};
}  // namespace

void register_gan_gen_loss(ganflow::Registry& r) {
  ganflow::NodeSpec s("gan_gen_loss", ganflow::NodeKind::GenLoss,
                      "fastai gan_loss_from_func generator loss: weights_gen[0] * loss_crit(fake_pred, 1) + "
                      "weights_gen[1] * loss_gen(output, target). Real = 1, fake = 0: pair with gan_crit_loss.");
  ganflow::Fields<GanGenLossSettings> f(s);
  f.add_list("weights_gen", &GanGenLossSettings::weights_gen, {1.0, 1.0},
             "Weights of the adversarial and the pixel term.")
      .length(2);
  s.input("loss_crit", {ganflow::NodeKind::Loss}, "Loss on the critic's score of the fakes, target ones (adaptive_loss).");
  s.input("loss_gen", {ganflow::NodeKind::Loss}, "Pixel loss between generated and real images (mse, l1); "
          "absent: only the adversarial term.", false);
  s.factory = [f](const ganflow::BuildContext& c) {
    return std::make_shared<GanGenLoss>(c.input<ganflow::Loss>("loss_crit"), c.input<ganflow::Loss>("loss_gen"),
                                        f.read(c.params()).weights_gen);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_losses
