// R1 (Mescheder et al. 2018): base + gamma/2 * E||d critic(real) / d real||^2; lazily (StyleGAN2),
// every `every`-th critic batch with gamma * every, which keeps the penalty's weight per batch.
#include <torch/torch.h>

#include "input_gradient.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class R1 : public ganflow::CritLoss {
 public:
  R1(std::shared_ptr<ganflow::CritLoss> base, double gamma, int64_t every)
      : base_(std::move(base)), gamma_(gamma), every_(every) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    if (b.critic_steps % every_ != 0) return base_->forward(b);
    auto grad = input_gradient(b.critic, b.real, name());
    return base_->forward(b) + gamma_ * double(every_) / 2 * grad.pow(2).flatten(1).sum(1).mean();
  }

 private:
  std::shared_ptr<ganflow::CritLoss> base_;
  double gamma_;
  int64_t every_;
};

struct R1Settings {  // read from the params register_r1 declares (their defaults are there)
  double gamma{};
  int64_t every{};
};
}  // namespace

void register_r1(ganflow::Registry& r) {
  ganflow::NodeSpec s("r1", ganflow::NodeKind::CritLoss,
                      "R1 penalty: base critic loss + gamma/2 * mean over images of ||d critic(real)/d real||^2 "
                      "(sign-free, so any base convention works; pair the generator loss with the base). "
                      "Costs one extra critic forward on the real batch and a double backward.");
  ganflow::Fields<R1Settings> f(s);
  f.add("gamma", &R1Settings::gamma, 10.0, "Weight of the penalty (the loss adds gamma/2 times it).").at_least(0);
  f.add("every", &R1Settings::every, 1,
        "Lazy regularisation (StyleGAN2): the penalty on every this-many-th critic batch only, weighted by it "
        "(16 there), which skips most double backwards.")
      .at_least(1);
  s.input("base", {ganflow::NodeKind::CritLoss}, "The critic loss the penalty is added to.");
  s.factory = [f](const ganflow::BuildContext& c) {
    const R1Settings r = f.read(c.params());
    return std::make_shared<R1>(c.input<ganflow::CritLoss>("base"), r.gamma, r.every);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_losses
