// fastai GANDiscriminativeLR: the critic trains at mult_lr times the scheduled lr.
#include <ganflow/ganflow.hpp>

namespace ganflow_callbacks {

namespace {
class GanDiscriminativeLr : public ganflow::Callback {
 public:
  explicit GanDiscriminativeLr(double mult) : mult_(mult) {}

  // Before the switchers (order 0), so the fallback restore in on_batch_end still finds the
  // critic's optimiser active.
  int order() const override { return -10; }

  // The trainer sets a scheduled lr before plugin on_batch_begin, so the factor survives one-cycle.
  void on_batch_begin(ganflow::Trainer& t) override {
    if (!t.is_gan() || !t.training() || t.gen_mode() || scaled_) return;
    t.scale_lr(mult_);
    scaled_ = true;
  }
  // Undo exactly what was done, whatever the mode says now.
  void on_step_end(ganflow::Trainer& t) override { restore(t); }
  // A batch without an optimiser step (e.g. a skipped non-finite loss) must not keep the factor.
  void on_batch_end(ganflow::Trainer& t) override { restore(t); }
  void on_train_end(ganflow::Trainer& t) override { restore(t); }

 private:
  void restore(ganflow::Trainer& t) {
    if (!scaled_) return;
    t.scale_lr(1.0 / mult_);
    scaled_ = false;
  }
  double mult_;
  bool scaled_ = false;
};

struct DiscriminativeLrSettings {  // read from the param register_gan_discriminative_lr declares (its default is there)
  double mult_lr{};
};
}  // namespace

void register_gan_discriminative_lr(ganflow::Registry& r) {
  ganflow::NodeSpec s("gan_discriminative_lr", ganflow::NodeKind::Callback,
                      "fastai GANDiscriminativeLR: multiplies the critic optimiser's lr by mult_lr on critic "
                      "training batches (at batch begin) and divides it back after the step. Unlike fastai v2 "
                      "it keeps working under fit_one_cycle.");
  ganflow::Fields<DiscriminativeLrSettings> f(s);
  f.add("mult_lr", &DiscriminativeLrSettings::mult_lr, 5.0, "Critic lr multiplier.").at_least(1e-6);
  s.factory = [f](const ganflow::BuildContext& c) {
    return std::make_shared<GanDiscriminativeLr>(f.read(c.params()).mult_lr);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_callbacks
