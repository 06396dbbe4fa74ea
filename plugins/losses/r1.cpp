// R1 (Mescheder et al. 2018): base + gamma/2 * E||d critic(real) / d real||^2.
#include <torch/torch.h>

#include "input_gradient.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
class R1 : public ganflow::CritLoss {
 public:
  R1(std::shared_ptr<ganflow::CritLoss> base, double gamma) : base_(std::move(base)), gamma_(gamma) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    auto grad = input_gradient(b.critic, b.real, name());
    return base_->forward(b) + gamma_ / 2 * grad.pow(2).flatten(1).sum(1).mean();
  }

 private:
  std::shared_ptr<ganflow::CritLoss> base_;
  double gamma_;
};

struct R1Settings {  // read from the param register_r1 declares (its default is there)
  double gamma{};
};
}  // namespace

void register_r1(ganflow::Registry& r) {
  ganflow::NodeSpec s("r1", ganflow::NodeKind::CritLoss,
                      "R1 penalty: base critic loss + gamma/2 * mean over images of ||d critic(real)/d real||^2 "
                      "(sign-free, so any base convention works; pair the generator loss with the base). "
                      "Costs one extra critic forward on the real batch and a double backward.");
  ganflow::Fields<R1Settings> f(s);
  f.add("gamma", &R1Settings::gamma, 10.0, "Weight of the penalty (the loss adds gamma/2 times it).").at_least(0);
  s.input("base", {ganflow::NodeKind::CritLoss}, "The critic loss the penalty is added to.");
  s.factory = [f](const ganflow::BuildContext& c) {
    return std::make_shared<R1>(c.input<ganflow::CritLoss>("base"), f.read(c.params()).gamma);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_losses
