// DiffAugment (Zhao et al. 2020): the same random differentiable transforms on every image the
// critic sees, real and fake, so a critic trained on few images cannot memorise them.
#include <ganflow/critic_augment.hpp>
#include <ganflow/ganflow.hpp>

#include "augment_policy.hpp"

namespace ganflow_augment {

namespace {
struct DiffAugmentSettings {  // read from the params register_diff_augment declares (their defaults are there)
  std::vector<std::string> policy;
  double p{};
};

class DiffAugment : public ganflow::Callback, public ganflow::CriticAugment {
 public:
  explicit DiffAugment(DiffAugmentSettings s) : s_(std::move(s)) {}
  torch::Tensor augment(const torch::Tensor& x) override { return apply_policy(x, s_.policy, s_.p); }
  double probability() const override { return s_.p; }

 private:
  DiffAugmentSettings s_;
};
}  // namespace

void register_diff_augment(ganflow::Registry& r) {
  ganflow::NodeSpec s("diff_augment", ganflow::NodeKind::Callback,
                      "DiffAugment (Zhao et al. 2020): the GAN stage puts every image its critic sees (real and fake, "
                      "in both modes, and inside gradient penalties) through these random differentiable transforms, so "
                      "the generator learns through them. For small datasets. Add it to the stage's callbacks.");
  using S = DiffAugmentSettings;
  ganflow::Fields<S> f(s);
  add_policy_field(f, &S::policy);
  f.add("p", &S::p, 1.0, "Probability that each transform is applied to an image (1: always, as DiffAugment).")
      .range(1e-6, 1);
  s.factory = [f](const ganflow::BuildContext& c) { return std::make_shared<DiffAugment>(f.read(c.params())); };
  r.add(std::move(s));
}

}  // namespace ganflow_augment
