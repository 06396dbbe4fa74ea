// Zero-centred gradient penalties: R1 at the real images (Mescheder et al. 2018), R2 at the fakes,
// base + gamma/2 * E||d critic(x) / d x||^2. Both together are R3GAN's regularisation (Huang et
// al. 2024). Lazily (StyleGAN2), every `every`-th critic batch with gamma * every, which keeps
// the penalty's weight per batch.
#include <torch/torch.h>

#include "input_gradient.hpp"
#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
enum class At { real, fake };

class ZeroCentredPenalty : public ganflow::CritLoss, public ganflow::StepVariant {
 public:
  ZeroCentredPenalty(At at, std::shared_ptr<ganflow::CritLoss> base, double gamma, int64_t every)
      : at_(at), base_(std::move(base)), gamma_(gamma), every_(every) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    if (b.critic_steps % every_ != 0) return base_->forward(b);
    // Conditional runs score each side with its own labels: the fakes with those they were drawn for.
    auto grad = at_ == At::real ? input_gradient(b.critic, b.real, name()) : input_gradient(b.fake_scorer(), b.fake, name());
    return base_->forward(b) + gamma_ * double(every_) / 2 * grad.pow(2).flatten(1).sum(1).mean();
  }
  // Bit 0: this penalty runs at this step; the higher bits: the base loss's own variant.
  int64_t step_variant(int64_t critic_steps) const override {
    return (critic_steps % every_ == 0 ? 1 : 0) + 2 * ganflow::step_variant_of(*base_, critic_steps);
  }

 private:
  At at_;
  std::shared_ptr<ganflow::CritLoss> base_;
  double gamma_;
  int64_t every_;
};

struct PenaltySettings {  // read from the params penalty_spec declares (their defaults are there)
  double gamma{};
  int64_t every{};
};

ganflow::NodeSpec penalty_spec(const std::string& type, At at, const std::string& doc) {
  ganflow::NodeSpec s(type, ganflow::NodeKind::CritLoss, doc);
  ganflow::Fields<PenaltySettings> f(s);
  f.add("gamma", &PenaltySettings::gamma, 10.0, "Weight of the penalty (the loss adds gamma/2 times it).").at_least(0);
  f.add("every", &PenaltySettings::every, 1,
        "Lazy regularisation (StyleGAN2): the penalty on every this-many-th critic batch only, weighted by it "
        "(16 there), which skips most double backwards.")
      .at_least(1);
  s.input("base", {ganflow::NodeKind::CritLoss}, "The critic loss the penalty is added to.");
  s.factory = [f, at](const ganflow::BuildContext& c) {
    const PenaltySettings p = f.read(c.params());
    return std::make_shared<ZeroCentredPenalty>(at, c.input<ganflow::CritLoss>("base"), p.gamma, p.every);
  };
  return s;
}
}  // namespace

void register_zero_centred_penalty(ganflow::Registry& r) {
  r.add(penalty_spec("r1", At::real,
                     "R1 penalty: base critic loss + gamma/2 * mean over images of ||d critic(real)/d real||^2 "
                     "(sign-free, so any base convention works; pair the generator loss with the base). "
                     "Costs one extra critic forward on the real batch and a double backward."));
  r.add(penalty_spec("r2", At::fake,
                     "R2 penalty: base critic loss + gamma/2 * mean over images of ||d critic(fake)/d fake||^2, "
                     "the fakes scored with the labels they were drawn for; chain r1 -> r2 (or r2 -> r1) for "
                     "R3GAN's pair. Costs one extra critic forward on the fakes and a double backward."));
}

}  // namespace ganflow_losses
