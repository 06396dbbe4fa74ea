// A spy callback for the GAN semantics tests: after the real trainer's own work it records,
// for every batch, the mode, the lr, the raw loss, the train/eval state of both networks,
// whether the idle network has gradients or changed during the step, and the largest
// critic parameter; it writes the record to a JSON file at train end.
// A spy generator loss records what the trainer hands a generator loss on each call; an event
// counter counts a stage's batch events by training() and writes them at train end. A spy
// critic wraps a critic and records what each of its forwards is handed; a spy conditional
// model does so for a class-conditional generator or critic, labels included.
#include <ganflow/conditional_model.hpp>
#include <ganflow/ganflow.hpp>
#include <ganflow/process_rank.hpp>
#include <ganflow/unit_range.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <map>

namespace {

class Spy : public ganflow::Callback {
 public:
  Spy(std::string out, int order, std::shared_ptr<ganflow::Model> g, std::shared_ptr<ganflow::Model> c)
      : out_(std::move(out)), order_(order), g_(std::move(g)), c_(std::move(c)) {}
  int order() const override { return order_; }

  void on_batch_begin(ganflow::Trainer& t) override {
    if (!t.training()) return;
    idle_before_.clear();
    for (auto& p : idle(t).parameters()) idle_before_.push_back(p.detach().clone());
    ganflow::json rec;
    float max_abs = 0;
    for (auto& p : c_->module().parameters()) max_abs = std::max(max_abs, p.detach().abs().max().item<float>());
    rec["crit_max_abs"] = max_abs;
    rec["lr_begin"] = t.lr();
    current_ = rec;
  }
  void on_backward_begin(ganflow::Trainer& t) override {
    current_["gen_mode"] = t.gen_mode();
    current_["loss"] = t.last_loss().item<double>();
    current_["gen_training"] = g_->module().is_training();
    current_["crit_training"] = c_->module().is_training();
    bool idle_requires_grad = false;
    for (auto& p : idle(t).parameters()) idle_requires_grad |= p.requires_grad();
    current_["idle_requires_grad"] = idle_requires_grad;
  }
  void on_step_end(ganflow::Trainer& t) override {
    bool grads = false, changed = false;
    auto params = idle(t).parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
      grads |= params[i].grad().defined() && params[i].grad().abs().sum().item<double>() > 0;
      changed |= !torch::equal(params[i].detach(), idle_before_[i]);
    }
    current_["idle_has_grad"] = grads;
    current_["idle_changed"] = changed;
    current_["lr_step"] = t.lr();
  }
  void on_batch_end(ganflow::Trainer& t) override {
    if (!t.training()) return;
    current_["lr_end"] = t.lr();
    current_["step"] = t.step();
    log_.push_back(current_);
  }
  void on_train_end(ganflow::Trainer&) override {
    std::ofstream(out_) << ganflow::json{{"batches", log_}}.dump(1);
  }

 private:
  torch::nn::Module& idle(ganflow::Trainer& t) { return t.gen_mode() ? c_->module() : g_->module(); }
  std::string out_;
  int order_;
  std::shared_ptr<ganflow::Model> g_, c_;
  std::vector<torch::Tensor> idle_before_;
  ganflow::json current_, log_ = ganflow::json::array();
};

class EventCounter : public ganflow::Callback {
 public:
  explicit EventCounter(std::string out) : out_(std::move(out)) {}
  void on_batch_begin(ganflow::Trainer& t) override { ++counts_[key("begin", t)]; }
  void on_step_end(ganflow::Trainer& t) override { ++counts_[key("step", t)]; }
  void on_batch_end(ganflow::Trainer& t) override {
    ++counts_[key("end", t)];
    if (!t.last_loss().defined() || !std::isfinite(t.last_loss().item<double>())) ++counts_[key("no_loss", t)];
  }
  void on_train_end(ganflow::Trainer&) override { std::ofstream(out_) << ganflow::json(counts_).dump(1); }

 private:
  static std::string key(const char* event, const ganflow::Trainer& t) {
    return std::string(event) + (t.training() ? "_train" : "_valid");
  }
  std::string out_;
  std::map<std::string, int64_t> counts_;
};

// -mean(fake_pred), recording each call: whether real_pred came, whether it carries a graph,
// whether it equals the critic's score of `real` now, and whether `fake` carries G's graph.
class SpyGenLoss : public ganflow::GenLoss {
 public:
  SpyGenLoss(std::string out, bool needs_real) : out_(std::move(out)), needs_real_(needs_real) {}
  bool needs_real_pred() const override { return needs_real_; }
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    ganflow::json rec = {{"real_pred", b.real_pred.defined()}, {"fake_requires_grad", b.fake.requires_grad()}};
    if (b.real_pred.defined()) {
      torch::NoGradGuard ng;
      rec["real_pred_requires_grad"] = b.real_pred.requires_grad();
      rec["real_pred_is_critic_of_real"] = torch::allclose(b.real_pred, b.critic(b.real));
    }
    calls_.push_back(rec);
    std::ofstream(out_) << ganflow::json{{"calls", calls_}}.dump(1);
    return -b.fake_pred.mean();
  }

 private:
  std::string out_;
  bool needs_real_;
  ganflow::json calls_ = ganflow::json::array();
};

// The wrapped critic, recording per forward: the batch, whether the input carries a graph,
// and the share of pixels exactly 0 (what cutout leaves).
class SpyCritic : public ganflow::Model {
 public:
  SpyCritic(std::string out, std::shared_ptr<ganflow::Model> inner) : out_(std::move(out)), inner_(std::move(inner)) {}
  torch::nn::Module& module() override { return inner_->module(); }
  torch::Tensor forward(const torch::Tensor& x) override {
    {
      torch::NoGradGuard ng;
      calls_.push_back({{"bs", x.size(0)}, {"requires_grad", x.requires_grad()},
                        {"zero_share", (x == 0).to(torch::kFloat64).mean().item<double>()}});
    }
    std::ofstream(out_) << ganflow::json{{"calls", calls_}}.dump(1);
    return inner_->forward(x);
  }

 private:
  std::string out_;
  std::shared_ptr<ganflow::Model> inner_;
  ganflow::json calls_ = ganflow::json::array();
};

// The wrapped class-conditional model, recording per forward: the labels, whether the input
// carries a graph, and each image's mean (tests draw real classes as flat images of one level).
class SpyConditional : public ganflow::Model, public ganflow::ConditionalModel {
 public:
  SpyConditional(std::string out, std::shared_ptr<ganflow::Model> inner)
      : out_(std::move(out)), inner_(std::move(inner)), cond_(dynamic_cast<ganflow::ConditionalModel*>(inner_.get())) {
    if (!cond_) throw ganflow::Error("wraps only class-conditional models");
  }
  torch::nn::Module& module() override { return inner_->module(); }
  torch::Tensor forward(const torch::Tensor& x) override { return inner_->forward(x); }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) override {
    {
      torch::NoGradGuard ng;
      torch::Tensor l = labels.cpu(), m = x.detach().flatten(1).mean(1).to(torch::kDouble).cpu();
      calls_.push_back({{"labels", std::vector<int64_t>(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + l.numel())},
                        {"means", std::vector<double>(m.data_ptr<double>(), m.data_ptr<double>() + m.numel())},
                        {"requires_grad", x.requires_grad()}});
    }
    std::ofstream(out_) << ganflow::json{{"calls", calls_}}.dump();
    return cond_->forward(x, labels);
  }
  int64_t n_classes() const override { return cond_->n_classes(); }
  int64_t aux_classes() const override { return cond_->aux_classes(); }

 private:
  std::string out_;
  std::shared_ptr<ganflow::Model> inner_;
  ganflow::ConditionalModel* cond_;
  ganflow::json calls_ = ganflow::json::array();
};

// A "generator" that draws perfectly: for label y, the next real image of class y of a source
// (tests of the class-conditional metrics, which must then find the classes right).
class ClassOracle : public ganflow::Model, public ganflow::ConditionalModel {
 public:
  ClassOracle(const ganflow::ItemSource& source, int64_t n_classes) : by_class_(std::size_t(n_classes)) {
    const ganflow::ImageShape shape = source.fields().at(0);
    for (std::size_t i = 0; i < source.size(); ++i) {
      torch::Tensor img = torch::empty({shape.channels, shape.height, shape.width}, torch::kUInt8);
      uint8_t* slot = img.data_ptr<uint8_t>();
      source.read(i, &slot, 0);
      by_class_.at(std::size_t(source.label(i))).push_back(ganflow::unit_from_pixels(img));
    }
    next_.assign(by_class_.size(), 0);
  }
  torch::nn::Module& module() override { return module_; }
  torch::Tensor forward(const torch::Tensor&) override {
    ganflow::refuse_without_labels(name());
    return {};
  }
  torch::Tensor forward(const torch::Tensor&, const torch::Tensor& labels) override {
    std::vector<torch::Tensor> out;
    for (int64_t y : std::vector<int64_t>(labels.cpu().data_ptr<int64_t>(), labels.cpu().data_ptr<int64_t>() + labels.numel())) {
      auto& images = by_class_.at(std::size_t(y));
      out.push_back(images.at(next_[std::size_t(y)]++ % images.size()));
    }
    return torch::stack(out).to(labels.device());
  }
  int64_t n_classes() const override { return int64_t(by_class_.size()); }

 private:
  torch::nn::Module module_;
  std::vector<std::vector<torch::Tensor>> by_class_;
  std::vector<std::size_t> next_;
};

// A critic loss that differs by rank: base * (1 + factor * RANK), so one rank's loss alone can
// cross a switcher's threshold (data-parallel tests).
class RankScaledCritLoss : public ganflow::CritLoss {
 public:
  RankScaledCritLoss(std::shared_ptr<ganflow::CritLoss> base, double factor) : base_(std::move(base)), factor_(factor) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    return base_->forward(b) * (1.0 + factor_ * ganflow::process_rank());
  }

 private:
  std::shared_ptr<ganflow::CritLoss> base_;
  double factor_;
};

// A faulty switcher: switches at step `at` on rank `rank` only (data-parallel tests).
class OneRankSwitcher : public ganflow::Callback {
 public:
  OneRankSwitcher(int64_t at, int rank) : at_(at), rank_(rank) {}
  void on_batch_end(ganflow::Trainer& t) override {
    if (t.training() && t.step() == at_ && ganflow::process_rank() == rank_) t.switch_mode();
  }

 private:
  int64_t at_;
  int rank_;
};

}  // namespace

GANFLOW_PLUGIN("spies", "1.0") {
  ganflow::NodeSpec rl("rank_scaled_crit_loss", ganflow::NodeKind::CritLoss, "base * (1 + factor * RANK) (tests).");
  rl.param_float("factor", 10.0, "How much more each rank's loss is.");
  rl.input("base", {ganflow::NodeKind::CritLoss}, "The critic loss it scales.");
  rl.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<RankScaledCritLoss>(c.input<ganflow::CritLoss>("base"), c.params().f("factor"));
  };
  registry.add(std::move(rl));

  ganflow::NodeSpec os("one_rank_switcher", ganflow::NodeKind::Callback, "Switches on one rank only (tests).");
  os.param_int("at", 3, "The step it switches after.");
  os.param_int("rank", 1, "The rank it switches on.");
  os.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<OneRankSwitcher>(c.params().i("at"), int(c.params().i("rank")));
  };
  registry.add(std::move(os));

  ganflow::NodeSpec sc("spy_critic", ganflow::NodeKind::Model, "A critic that records what it is handed (tests).");
  sc.param_string("out", "spy_critic.json", "Where to write the record.");
  sc.input("critic", {ganflow::NodeKind::Model}, "The critic it wraps.");
  sc.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<SpyCritic>(c.params().s("out"), c.input<ganflow::Model>("critic"));
  };
  registry.add(std::move(sc));

  ganflow::NodeSpec scm("spy_conditional", ganflow::NodeKind::Model,
                        "A class-conditional model that records what it is handed (tests).");
  scm.param_string("out", "spy_conditional.json", "Where to write the record.");
  scm.input("model", {ganflow::NodeKind::Model}, "The class-conditional model it wraps.");
  scm.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<SpyConditional>(c.params().s("out"), c.input<ganflow::Model>("model"));
  };
  registry.add(std::move(scm));

  ganflow::NodeSpec co("class_oracle", ganflow::NodeKind::Model,
                       "A class-conditional generator that returns real images of each requested class (tests).");
  co.param_int("n_classes", 10, "Classes of the source.");
  co.input("source", {ganflow::NodeKind::Source}, "Labelled real images.");
  co.classes_param = "n_classes";
  co.role = "generator";
  co.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<ClassOracle>(*c.input<ganflow::ItemSource>("source"), c.params().i("n_classes"));
  };
  registry.add(std::move(co));

  ganflow::NodeSpec e("event_counter", ganflow::NodeKind::Callback, "Counts batch events by training() (tests).");
  e.param_string("out", "events.json", "Where to write the counts.");
  e.factory = [](const ganflow::BuildContext& c) { return std::make_shared<EventCounter>(c.params().s("out")); };
  registry.add(std::move(e));

  ganflow::NodeSpec l("spy_gen_loss", ganflow::NodeKind::GenLoss, "Records what a generator loss is handed (tests).");
  l.param_string("out", "spy_gen_loss.json", "Where to write the record.");
  l.param_bool("needs_real_pred", false, "Ask the trainer for the critic's scores of the real batch.");
  l.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<SpyGenLoss>(c.params().s("out"), c.params().b("needs_real_pred"));
  };
  registry.add(std::move(l));

  ganflow::NodeSpec s("spy", ganflow::NodeKind::Callback, "Records what the trainer does each batch (tests).");
  s.param_string("out", "spy.json", "Where to write the record.");
  s.param_int("order", 100, "Callback order (high: after the others).");
  s.input("generator", {ganflow::NodeKind::Model}, "The generator.");
  s.input("critic", {ganflow::NodeKind::Model}, "The critic.");
  s.factory = [](const ganflow::BuildContext& c) {
    return std::make_shared<Spy>(c.params().s("out"), int(c.params().i("order")), c.input<ganflow::Model>("generator"),
                                 c.input<ganflow::Model>("critic"));
  };
  registry.add(std::move(s));
}
