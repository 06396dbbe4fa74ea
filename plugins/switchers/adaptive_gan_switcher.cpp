// fastai AdaptiveGANSwitcher: leave a mode once its raw batch loss is below its threshold,
// plus a starvation guard (max_steps) that fastai lacks.
#include <torch/torch.h>

#include <optional>
#include <sstream>

#include <ganflow/ganflow.hpp>
#include "state_value.hpp"

namespace ganflow_switchers {

namespace {
struct SwitcherSettings {  // read from the params register_adaptive_gan_switcher declares (their defaults are there)
  std::optional<double> gen_thresh, critic_thresh;
  int64_t max_steps{};
};

// A threshold param is a list, [] (none) or [t], read into an optional.
ganflow::Fields<SwitcherSettings>::Reader optional_float(std::optional<double> SwitcherSettings::*field) {
  return [field](const ganflow::Params& p, const std::string& name, SwitcherSettings& s) {
    auto v = p.floats(name);
    s.*field = v.empty() ? std::nullopt : std::optional<double>(v.front());
  };
}

class AdaptiveGanSwitcher : public ganflow::Callback {
 public:
  AdaptiveGanSwitcher(std::optional<double> gen_thresh, std::optional<double> critic_thresh, int64_t max_steps)
      : gen_thresh_(gen_thresh), critic_thresh_(critic_thresh), max_steps_(max_steps) {}

  void on_train_begin(ganflow::Trainer& t) override {
    if (t.step() == 0) steps_in_mode_ = 0;
  }
  void on_batch_end(ganflow::Trainer& t) override {
    if (!t.is_gan() || !t.training()) return;
    ++steps_in_mode_;
    const bool gen = t.gen_mode();
    const auto& thresh = gen ? gen_thresh_ : critic_thresh_;
    // No threshold: switch after every batch, without reading the loss (no host sync). The
    // comparison runs in the loss's dtype, as fastai's `loss < thresh` on a float32 tensor.
    if (!thresh || (t.last_loss() < *thresh).item<bool>()) return switch_mode(t);
    if (max_steps_ > 0 && steps_in_mode_ >= max_steps_) {
      std::ostringstream w;
      w << name() << ": the " << (gen ? "generator" : "critic") << " ran " << steps_in_mode_
        << " batches without a loss below " << (gen ? "gen_thresh " : "critic_thresh ") << *thresh << " (last "
        << t.last_loss().item<double>() << "); switching anyway";
      t.warn(w.str());
      switch_mode(t);
    }
  }
  ganflow::json state() const override { return {{"steps_in_mode", steps_in_mode_}}; }
  void load_state(const ganflow::json& s) override { steps_in_mode_ = state_count(s, "steps_in_mode", name()); }

 private:
  void switch_mode(ganflow::Trainer& t) {
    t.switch_mode();
    steps_in_mode_ = 0;
  }
  std::optional<double> gen_thresh_, critic_thresh_;
  int64_t max_steps_;
  int64_t steps_in_mode_ = 0;  // consecutive training batches in the current mode
};
}  // namespace

void register_adaptive_gan_switcher(ganflow::Registry& r) {
  ganflow::NodeSpec s("adaptive_gan_switcher", ganflow::NodeKind::Callback,
                      "fastai AdaptiveGANSwitcher: after each training batch, leave the current mode when its raw "
                      "batch loss is below its threshold, or always when it has none. Meaningless for WGAN losses.");
  using S = SwitcherSettings;
  ganflow::Fields<S> f(s);
  f.bind(s.param_list("gen_thresh", ganflow::ParamType::Float, ganflow::json::array(),
                      "[] (none: one generator batch, then switch) or [t]: stay on the generator until its loss < t."),
         optional_float(&S::gen_thresh))
      .range(0, 1);
  f.bind(s.param_list("critic_thresh", ganflow::ParamType::Float, ganflow::json::array(),
                      "[] (none: one critic batch, then switch) or [t]: stay on the critic until its loss < t "
                      "(superres recipe: [0.65])."),
         optional_float(&S::critic_thresh))
      .range(0, 1);
  f.add("max_steps", &S::max_steps, 0,
        "Starvation guard (not in fastai): after this many consecutive batches of one mode without "
        "reaching its threshold, switch anyway and log a warning. 0 = off (fastai).")
      .at_least(0);
  s.factory = [f](const ganflow::BuildContext& c) {
    SwitcherSettings st = f.read(c.params());
    return std::make_shared<AdaptiveGanSwitcher>(st.gen_thresh, st.critic_thresh, st.max_steps);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_switchers
