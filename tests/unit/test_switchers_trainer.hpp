#pragma once
// A scripted implementation of the SDK's Trainer view (the contract callbacks are written
// against): it runs the callback events of one batch in the trainer's order and records
// switches, lr changes and warnings.
#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <map>
#include <vector>

#include "ganflow/callback.hpp"

namespace ganflow::test {

class ScriptedTrainer : public Trainer {
 public:
  bool gan = true, gen = false, train = true;
  double lr_value = 1e-3;
  int64_t steps = 0;
  int switches = 0;
  std::vector<double> lr_at_step;  // the lr the optimiser stepped with, per training batch
  std::vector<std::string> warnings, infos;

  bool is_gan() const override { return gan; }
  bool gen_mode() const override { return gen; }
  void switch_mode() override { gen = !gen, ++switches; }
  bool training() const override { return train; }
  const torch::Tensor& last_loss() const override { return loss_; }
  double lr() const override { return lr_value; }
  void scale_lr(double factor) override { lr_value *= factor; }
  int64_t step() const override { return steps; }
  int64_t epoch() const override { return 0; }
  void warn(const std::string& message) override { warnings.push_back(message); }
  void info(const std::string& message) override { infos.push_back(message); }
  void record(const std::string& key, double value) override { recorded[key] = value; }
  void save_checkpoint_as(const std::string& tag) override { checkpoints.push_back(tag); }
  int64_t batch_size() const override { return bs; }
  int64_t bs = 16;
  std::map<std::string, double> recorded;
  std::vector<std::string> checkpoints;

  void begin(const std::vector<Callback*>& cbs) {
    for (auto* c : sorted(cbs)) c->on_train_begin(*this);
  }
  // One batch with raw loss `loss`; returns 'G' or 'C', the network that trained (or was evaluated).
  char batch(const std::vector<Callback*>& cbs, double loss, bool training = true) {
    train = training;
    char mode = gen ? 'G' : 'C';
    auto cs = sorted(cbs);
    for (auto* c : cs) c->on_batch_begin(*this);
    loss_ = torch::tensor(loss);
    for (auto* c : cs) c->on_backward_begin(*this);
    if (training) {
      lr_at_step.push_back(lr_value);
      for (auto* c : cs) c->on_step_end(*this);
      ++steps;
    }
    for (auto* c : cs) c->on_batch_end(*this);
    return mode;
  }
  // The modes of `n` training batches with a constant loss.
  std::string run(const std::vector<Callback*>& cbs, int n, double loss = 1.0) {
    std::string s;
    for (int i = 0; i < n; ++i) s += batch(cbs, loss);
    return s;
  }

 private:
  static std::vector<Callback*> sorted(std::vector<Callback*> cbs) {
    std::stable_sort(cbs.begin(), cbs.end(), [](Callback* a, Callback* b) { return a->order() < b->order(); });
    return cbs;
  }
  torch::Tensor loss_ = torch::tensor(0.0);
};

}  // namespace ganflow::test
