// WGAN-GP (Gulrajani et al. 2017): wasserstein + lambda * E[(||grad critic(x_hat)|| - 1)^2].
#include <torch/torch.h>

#include "input_gradient.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class WganGp : public ganflow::CritLoss {
 public:
  explicit WganGp(double lambda) : lambda_(lambda) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    auto real = b.real.detach(), fake = b.fake.detach();
    if (real.sizes() != fake.sizes())
      throw ganflow::Error("real " + c10::str(real.sizes()) + " and fake " + c10::str(fake.sizes()) +
                               " images differ in shape",
                           name());
    // One eps ~ U[0, 1) per image: x_hat on the segment between a real and a fake image.
    std::vector<int64_t> shape(real.dim(), 1);
    shape[0] = real.size(0);
    auto eps = torch::rand(shape, real.options());
    auto grad = input_gradient(b.critic, eps * real + (1 - eps) * fake, name());
    auto penalty = (grad.flatten(1).norm(2, 1) - 1).pow(2).mean();
    return b.real_pred.mean() - b.fake_pred.mean() + lambda_ * penalty;
  }

 private:
  double lambda_;
};

struct WganGpSettings {  // read from the param register_wgan_gp declares (its default is there)
  double lambda{};
};
}  // namespace

void register_wgan_gp(ganflow::Registry& r) {
  ganflow::NodeSpec s("wgan_gp", ganflow::NodeKind::CritLoss,
                      "wasserstein (fastai sign: real LOW, fake HIGH; pair with noop) plus lambda * the gradient "
                      "penalty (||d critic(x_hat)/d x_hat||_2 - 1)^2 on random interpolates of real and fake images. "
                      "One extra critic forward and a double backward; use a critic without BatchNorm (the paper) "
                      "or expect batch coupling, and no weight clipping.");
  ganflow::Fields<WganGpSettings> f(s);
  f.add("lambda", &WganGpSettings::lambda, 10.0, "Weight of the gradient penalty.").at_least(0);
  s.factory = [f](const ganflow::BuildContext& c) { return std::make_shared<WganGp>(f.read(c.params()).lambda); };
  r.add(std::move(s));
}

}  // namespace ganflow_losses
