// fastai FixedGANSwitcher: n_crit critic batches, then n_gen generator batches, and so on.
#include <ganflow/ganflow.hpp>
#include "state_value.hpp"

namespace ganflow_switchers {

namespace {
class FixedGanSwitcher : public ganflow::Callback {
 public:
  FixedGanSwitcher(int64_t n_crit, int64_t n_gen) : n_crit_(n_crit), n_gen_(n_gen) {}

  // fastai v1 resets once per fit; a resumed fit (step > 0) keeps the restored counters.
  void on_train_begin(ganflow::Trainer& t) override {
    if (t.step() == 0) n_c_ = n_g_ = 0;
  }
  void on_batch_end(ganflow::Trainer& t) override {
    if (!t.is_gan() || !t.training()) return;  // fastai v1 also counted validation batches: a bug
    bool done = t.gen_mode() ? ++n_g_ >= n_gen_ : ++n_c_ >= n_crit_;
    if (!done) return;
    t.switch_mode();
    n_c_ = n_g_ = 0;
  }
  ganflow::json state() const override { return {{"n_c", n_c_}, {"n_g", n_g_}}; }
  void load_state(const ganflow::json& s) override {
    n_c_ = state_count(s, "n_c", name());
    n_g_ = state_count(s, "n_g", name());
  }

 private:
  int64_t n_crit_, n_gen_;
  int64_t n_c_ = 0, n_g_ = 0;  // batches done in the current mode
};

struct FixedSwitcherSettings {  // read from the params register_fixed_gan_switcher declares (their defaults are there)
  int64_t n_crit{}, n_gen{};
};
}  // namespace

void register_fixed_gan_switcher(ganflow::Registry& r) {
  ganflow::NodeSpec s("fixed_gan_switcher", ganflow::NodeKind::Callback,
                      "fastai FixedGANSwitcher: switch to the generator after n_crit critic training batches and "
                      "back after n_gen generator batches; validation batches are not counted.");
  using S = FixedSwitcherSettings;
  ganflow::Fields<S> f(s);
  f.add("n_crit", &S::n_crit, 1, "Critic batches per cycle (wgan: 5).").at_least(1);
  f.add("n_gen", &S::n_gen, 1, "Generator batches per cycle.").at_least(1);
  s.factory = [f](const ganflow::BuildContext& c) {
    FixedSwitcherSettings st = f.read(c.params());
    return std::make_shared<FixedGanSwitcher>(st.n_crit, st.n_gen);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_switchers
