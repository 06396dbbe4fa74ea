// ADA (Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data"):
// DiffAugment's transforms applied with a probability p that follows the critic's overfitting.
// Every `interval` critic steps r_t = E[sign(D(real))] over those steps moves p by
// sign(r_t - target) x (images in those steps) / (speed_kimg x 1000), clamped to [0, 1].
#include <ganflow/critic_augment.hpp>
#include <ganflow/ganflow.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "augment_policy.hpp"

namespace ganflow_augment {

namespace {
struct AdaSettings {  // read from the params register_ada declares (their defaults are there)
  std::vector<std::string> policy;
  double target{}, speed_kimg{}, p_init{};
  int64_t interval{};
};

class Ada : public ganflow::Callback, public ganflow::CriticAugment {
 public:
  explicit Ada(AdaSettings s) : s_(std::move(s)), p_(s_.p_init) {}

  torch::Tensor augment(const torch::Tensor& x) override { return apply_policy(x, s_.policy, p_); }
  double probability() const override { return p_; }

  // Summed on the device: no host sync until the interval is complete.
  void observe_real(const torch::Tensor& real_pred) override {
    torch::Tensor s = real_pred.detach().sign().sum().to(torch::kFloat64);
    signs_ = signs_.defined() ? signs_ + s : s;
    scores_ += real_pred.numel();
    images_ += real_pred.size(0);
    ++observed_;
  }

  void on_step_end(ganflow::Trainer&) override {
    if (observed_ < s_.interval) return;
    rt_ = signs_.item<double>() / double(scores_);
    const double adjust = (rt_ > s_.target ? 1.0 : rt_ < s_.target ? -1.0 : 0.0) * double(images_) / (s_.speed_kimg * 1000.0);
    p_ = std::clamp(p_ + adjust, 0.0, 1.0);
    signs_ = torch::Tensor(), scores_ = images_ = observed_ = 0;
  }

  void on_epoch_end(ganflow::Trainer& t) override {
    if (!std::isnan(rt_)) t.record("ada_rt", rt_);  // once an interval has completed
  }

  // The pending interval too, so a resume mid-interval adjusts at the same step.
  ganflow::json state() const override {
    return {{"p", p_}, {"rt", std::isnan(rt_) ? ganflow::json(nullptr) : ganflow::json(rt_)},
            {"signs", signs_.defined() ? signs_.item<double>() : 0.0}, {"scores", scores_}, {"images", images_},
            {"observed", observed_}};
  }
  void load_state(const ganflow::json& j) override {
    p_ = j.at("p").get<double>();
    rt_ = j.at("rt").is_null() ? NAN : j.at("rt").get<double>();
    observed_ = j.at("observed").get<int64_t>();
    scores_ = j.at("scores").get<int64_t>();
    images_ = j.at("images").get<int64_t>();
    signs_ = observed_ > 0 ? torch::tensor(j.at("signs").get<double>(), torch::kFloat64) : torch::Tensor();
  }

 private:
  AdaSettings s_;
  double p_, rt_ = NAN;
  torch::Tensor signs_;  // sum of sign(D(real)) over the pending interval
  int64_t scores_ = 0, images_ = 0, observed_ = 0;
};
}  // namespace

void register_ada(ganflow::Registry& r) {
  ganflow::NodeSpec s("ada", ganflow::NodeKind::Callback,
                      "Adaptive augmentation (ADA, Karras et al. 2020): diff_augment's transforms, each applied to an "
                      "image with probability p; every `interval` critic steps p moves towards keeping "
                      "r_t = E[sign(D(real))] at `target` (p can go 0 -> 1 in speed_kimg thousand images). p is logged "
                      "as augment_p, r_t as ada_rt; both are checkpointed. Needs a critic whose score is positive for "
                      "real (logits, WGAN). Add it to the stage's callbacks.");
  using S = AdaSettings;
  ganflow::Fields<S> f(s);
  add_policy_field(f, &S::policy);
  f.add("target", &S::target, 0.6, "Target of r_t (the paper's 0.6); must lie in (0, 1).").range(1e-3, 1 - 1e-3);
  f.add("interval", &S::interval, 4, "Critic steps between adjustments (the paper's 4).").at_least(1);
  f.add("speed_kimg", &S::speed_kimg, 500.0, "Thousands of images for p to go from 0 to 1 (the paper's 500).")
      .at_least(1e-3);
  f.add("p_init", &S::p_init, 0.0, "p at the start of training.").range(0, 1);
  s.factory = [f](const ganflow::BuildContext& c) { return std::make_shared<Ada>(f.read(c.params())); };
  r.add(std::move(s));
}

}  // namespace ganflow_augment
