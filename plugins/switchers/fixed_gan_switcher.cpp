// fastai FixedGANSwitcher: n_crit critic batches, then n_gen generator batches, and so on. v1
// also took a callable for either count; here that is a schedule keyed on the generator steps
// done (v1 passed the callable the other counter, just reset to 0, so a schedule never acted).
#include <ganflow/ganflow.hpp>
#include "state_value.hpp"

#include <utility>

namespace ganflow_switchers {

namespace {
// A count that depends on the generator steps done: the first [below, n] pair with
// gen_steps < below gives n; then every[1] on each every[0]-th step; otherwise the base count.
struct CountSchedule {
  int64_t base{};
  std::vector<std::vector<int64_t>> until;
  std::vector<int64_t> every;  // [] or [period, n]
  int64_t at(int64_t gen_steps) const {
    for (const auto& u : until)
      if (gen_steps < u[0]) return u[1];
    if (!every.empty() && gen_steps % every[0] == 0) return every[1];
    return base;
  }
};

class FixedGanSwitcher : public ganflow::Callback {
 public:
  FixedGanSwitcher(CountSchedule n_crit, CountSchedule n_gen) : n_crit_(std::move(n_crit)), n_gen_(std::move(n_gen)) {}

  // fastai v1 resets once per fit; a resumed fit (step > 0) keeps the restored counters.
  void on_train_begin(ganflow::Trainer& t) override {
    if (t.step() == 0) n_c_ = n_g_ = gen_steps_ = 0;
  }
  void on_batch_end(ganflow::Trainer& t) override {
    if (!t.is_gan() || !t.training()) return;  // fastai v1 also counted validation batches: a bug
    bool done = t.gen_mode() ? ++n_g_ >= n_gen_.at(gen_steps_) : ++n_c_ >= n_crit_.at(gen_steps_);
    if (t.gen_mode()) ++gen_steps_;
    if (!done) return;
    t.switch_mode();
    n_c_ = n_g_ = 0;
  }
  ganflow::json state() const override { return {{"n_c", n_c_}, {"n_g", n_g_}, {"gen_steps", gen_steps_}}; }
  void load_state(const ganflow::json& s) override {
    n_c_ = state_count(s, "n_c", name());
    n_g_ = state_count(s, "n_g", name());
    gen_steps_ = state_count(s, "gen_steps", name());
  }

 private:
  CountSchedule n_crit_, n_gen_;
  int64_t n_c_ = 0, n_g_ = 0;  // batches done in the current mode
  int64_t gen_steps_ = 0;      // generator batches done in this fit
};

// Declares <name>, <name>_schedule and <name>_every for one count.
void add_count(ganflow::Fields<CountSchedule>& f, ganflow::NodeSpec& s, const std::string& name, int64_t def,
               const std::string& what) {
  f.add(name, &CountSchedule::base, def, what + " batches per cycle.").at_least(1);
  ganflow::ParamSpec& until = s.param_list(name + "_schedule", ganflow::ParamType::List, ganflow::json::array(),
                                           "[[below, n], ...]: " + what + " batches per cycle while the generator has "
                                           "done fewer than `below` steps (the first pair that holds); then " + name + ".");
  until.element->length(2);
  until.element->element = std::make_shared<ganflow::ParamSpec>();
  until.element->element->type = ganflow::ParamType::Int;
  until.element->element->at_least(1);
  f.bind(until, [](const ganflow::Params& p, const std::string& n, CountSchedule& c) {
    c.until.clear();
    for (const auto& pair : p.raw(n)) c.until.push_back(pair.get<std::vector<int64_t>>());
  });
  f.add_list(name + "_every", &CountSchedule::every, {},
             "[period, n]: " + what + " batches per cycle when the generator steps done are a multiple of period "
             "(after " + name + "_schedule; []: off).")
      .range(0, 2);
  s.params.back().element->at_least(1);
}

struct FixedSwitcherSettings {  // read from the params register_fixed_gan_switcher declares (their defaults are there)
  CountSchedule n_crit, n_gen;
};
}  // namespace

void register_fixed_gan_switcher(ganflow::Registry& r) {
  ganflow::NodeSpec s("fixed_gan_switcher", ganflow::NodeKind::Callback,
                      "fastai FixedGANSwitcher: switch to the generator after n_crit critic training batches and "
                      "back after n_gen generator batches; validation batches are not counted. Either count can follow "
                      "the generator steps done (v1's callable form), e.g. the WGAN paper's: n_crit 5, n_crit_schedule "
                      "[[25, 100]], n_crit_every [500, 100].");
  using S = FixedSwitcherSettings;
  ganflow::Fields<S> f(s);
  ganflow::Fields<CountSchedule> crit(s), gen(s);
  add_count(crit, s, "n_crit", 1, "Critic");
  add_count(gen, s, "n_gen", 1, "Generator");
  f.nest(&S::n_crit, crit);
  f.nest(&S::n_gen, gen);
  s.factory = [f](const ganflow::BuildContext& c) {
    FixedSwitcherSettings st = f.read(c.params());
    for (const auto& [name, every] : {std::pair{"n_crit_every", st.n_crit.every}, std::pair{"n_gen_every", st.n_gen.every}})
      if (every.size() == 1) throw ganflow::Error("give [period, n] or []", c.node_name(), name);
    return std::make_shared<FixedGanSwitcher>(st.n_crit, st.n_gen);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_switchers
