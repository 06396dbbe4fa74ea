// ACGAN (Odena et al. 2017): any base loss plus weight * cross-entropy of the critic's auxiliary
// class logits against the labels. The critic learns to classify the real images (and the
// fakes, with classify_fakes: the original paper's; StudioGAN's default leaves them out); the
// generator learns to draw images the critic files under the requested class.
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_losses {

namespace {
torch::Tensor class_loss(const torch::Tensor& logits, const torch::Tensor& labels, const std::string& node,
                         const char* which) {
  if (!logits.defined() || !labels.defined())
    throw ganflow::Error(std::string("needs the critic's class logits and labels of the ") + which +
                             " images: a critic with conditioning acgan or both, and noise with n_classes",
                         node);
  return torch::nn::functional::cross_entropy(logits.to(torch::kFloat), labels);
}

// Both wrappers pass their base loss's step variant on (a lazy penalty under the class loss).
class AcganCritLoss : public ganflow::CritLoss, public ganflow::StepVariant {
 public:
  AcganCritLoss(std::shared_ptr<ganflow::CritLoss> base, double weight, bool fakes)
      : base_(std::move(base)), weight_(weight), fakes_(fakes) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    torch::Tensor cls = class_loss(b.real_class_logits, b.real_labels, name(), "real");
    if (fakes_) cls = cls + class_loss(b.fake_class_logits, b.fake_labels, name(), "fake");
    return base_->forward(b) + weight_ * cls;
  }
  int64_t step_variant(int64_t critic_steps) const override { return ganflow::step_variant_of(*base_, critic_steps); }

 private:
  std::shared_ptr<ganflow::CritLoss> base_;
  double weight_;
  bool fakes_;
};

class AcganGenLoss : public ganflow::GenLoss, public ganflow::StepVariant {
 public:
  AcganGenLoss(std::shared_ptr<ganflow::GenLoss> base, double weight) : base_(std::move(base)), weight_(weight) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    return base_->forward(b) + weight_ * class_loss(b.fake_class_logits, b.fake_labels, name(), "generated");
  }
  bool needs_real_pred() const override { return base_->needs_real_pred(); }
  int64_t step_variant(int64_t critic_steps) const override { return ganflow::step_variant_of(*base_, critic_steps); }

 private:
  std::shared_ptr<ganflow::GenLoss> base_;
  double weight_;
};

struct AcganSettings {  // read from the params the registrations declare (their defaults are there)
  double weight{};
  bool classify_fakes{};
};

template <class S> void add_weight(ganflow::Fields<S>& f) {
  f.add("weight", &S::weight, 1.0, "Weight of the class cross-entropy added to the base loss.").at_least(0);
}
}  // namespace

void register_acgan(ganflow::Registry& r) {
  ganflow::NodeSpec c("acgan_crit", ganflow::NodeKind::CritLoss,
                      "ACGAN critic loss: base + weight * cross-entropy of the critic's class logits on the real "
                      "images (and the fakes, with classify_fakes). Needs a critic with conditioning acgan or both.");
  ganflow::Fields<AcganSettings> fc(c);
  add_weight(fc);
  fc.add("classify_fakes", &AcganSettings::classify_fakes, false,
         "Also train the critic to classify the fakes by their generation labels (Odena et al.; StudioGAN: off).");
  c.input("base", {ganflow::NodeKind::CritLoss}, "The adversarial critic loss (e.g. hinge_crit).");
  c.factory = [fc](const ganflow::BuildContext& ctx) {
    AcganSettings k = fc.read(ctx.params());
    return std::make_shared<AcganCritLoss>(ctx.input<ganflow::CritLoss>("base"), k.weight, k.classify_fakes);
  };
  r.add(std::move(c));

  ganflow::NodeSpec g("acgan_gen", ganflow::NodeKind::GenLoss,
                      "ACGAN generator loss: base + weight * cross-entropy of the critic's class logits on the "
                      "generated images against the labels they were drawn for.");
  ganflow::Fields<AcganSettings> fg(g);
  add_weight(fg);
  g.input("base", {ganflow::NodeKind::GenLoss}, "The adversarial generator loss (e.g. hinge_gen).");
  g.factory = [fg](const ganflow::BuildContext& ctx) {
    return std::make_shared<AcganGenLoss>(ctx.input<ganflow::GenLoss>("base"), fg.read(ctx.params()).weight);
  };
  r.add(std::move(g));
}

}  // namespace ganflow_losses
