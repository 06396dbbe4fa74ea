// ganflow's Adam step (multi-tensor ops over the whole network) against torch::optim::Adam's
// own per-parameter step: the same numbers, and the state kept where torch keeps it, so
// torch's serialisation (the checkpoint) carries it.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/framework/train/optimizer.hpp"

namespace {
std::vector<torch::Tensor> make_params() {
  torch::manual_seed(3);
  return {torch::randn({4, 3}).requires_grad_(true), torch::randn({5}).requires_grad_(true),
          torch::randn({2, 2, 3, 3}).requires_grad_(true)};
}

std::vector<torch::Tensor> clones(const std::vector<torch::Tensor>& ps) {
  std::vector<torch::Tensor> out;
  for (auto& p : ps) out.push_back(p.detach().clone().requires_grad_(true));
  return out;
}

// Gives every parameter but `skip` the same fresh gradient in both sets.
void set_grads(std::vector<torch::Tensor>& a, std::vector<torch::Tensor>& b, int step, std::size_t skip) {
  torch::manual_seed(100 + step);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i].mutable_grad() = torch::Tensor();
    b[i].mutable_grad() = torch::Tensor();
    if (i == skip) continue;
    auto g = torch::randn(a[i].sizes());
    a[i].mutable_grad() = g.clone();
    b[i].mutable_grad() = g.clone();
  }
}

bool all_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i].detach(), b[i].detach())) return false;
  return true;
}
}  // namespace

TEST_CASE("Optim's Adam step computes torch::optim::Adam's step, L2 decay and skipped parameters included",
          "[optimizer]") {
  auto ours = make_params();
  auto theirs = clones(ours);
  ganflow::OptimizerSettings s{"adam", 0.5, 0.99, 1e-8, 0.01, /*true_wd=*/false};
  ganflow::Optim opt(s, 2e-3, ours);
  torch::optim::Adam ref(theirs, torch::optim::AdamOptions(2e-3).betas({0.5, 0.99}).eps(1e-8).weight_decay(0.01));
  int steps = 0;
  for (int step = 0; step < 6; ++step, ++steps) {
    // Parameter 1 has no gradient on step 2: its step count falls behind the others'.
    set_grads(ours, theirs, step, step == 2 ? 1 : 99);
    opt.step();
    ref.step();
    INFO("step " << step);
    REQUIRE(all_equal(ours, theirs));
  }
  CHECK(steps == 6);
  CHECK_FALSE(all_equal(ours, make_params()));  // the steps moved the parameters
}

TEST_CASE("Optim's Adam state round-trips through torch's optimizer serialisation", "[optimizer]") {
  auto ours = make_params();
  auto theirs = clones(ours);
  ganflow::OptimizerSettings s{"adam", 0.9, 0.99, 1e-8, 0.0, false};
  ganflow::Optim opt(s, 1e-3, ours);
  torch::optim::Adam ref(theirs, torch::optim::AdamOptions(1e-3).betas({0.9, 0.99}).eps(1e-8));
  for (int step = 0; step < 3; ++step) {
    set_grads(ours, theirs, step, 99);
    opt.step();
    ref.step();
  }
  // Save ganflow's optimiser as the checkpoint does, load it into a fresh torch Adam over a
  // copy of the parameters, and take one more step on each side.
  std::stringstream buf;
  {
    torch::serialize::OutputArchive ar;
    opt.torch_optimizer().save(ar);
    ar.save_to(buf);
  }
  auto loaded_params = clones(ours);
  torch::optim::Adam loaded(loaded_params, torch::optim::AdamOptions(1e-3).betas({0.9, 0.99}).eps(1e-8));
  {
    torch::serialize::InputArchive ar;
    ar.load_from(buf);
    loaded.load(ar);
  }
  CHECK(loaded.state().size() == ours.size());
  set_grads(loaded_params, theirs, 7, 99);
  loaded.step();
  ref.step();
  CHECK(all_equal(loaded_params, theirs));
}

TEST_CASE("Optim's decoupled weight decay shrinks only the parameters with a gradient", "[optimizer]") {
  auto ps = make_params();
  auto before = clones(ps);
  ganflow::OptimizerSettings s{"sgd", 0.0, 0.0, 1e-8, 0.1, /*true_wd=*/true};
  ganflow::Optim opt(s, 0.5, ps);
  ps[0].mutable_grad() = torch::zeros({4, 3});  // a zero gradient: only the decay moves it
  opt.step();
  CHECK(torch::allclose(ps[0].detach(), before[0].detach() * (1 - 0.5 * 0.1)));
  CHECK(torch::equal(ps[1].detach(), before[1].detach()));
}
