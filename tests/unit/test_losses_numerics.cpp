// Every loss node against PyTorch / fastai's definitions (tests/python/check_losses.py), including
// the WGAN-GP, R1 and R2 penalties and the critic gradients they produce (torch.autograd.grad there).
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/loss.hpp"
#include "ganflow/model.hpp"
#include "test_support.hpp"

using namespace ganflow;
using namespace ganflow::test;

namespace {
const char* kLosses = R"({
  "bce": {"type": "bce_with_logits"}, "mse": {"type": "mse"}, "l1": {"type": "l1"},
  "ad": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
  "gg": {"type": "gan_gen_loss", "params": {"weights_gen": [0.7, 1.3]}, "inputs": {"loss_crit": "ad", "loss_gen": "mse"}},
  "gga": {"type": "gan_gen_loss", "params": {"weights_gen": [0.7, 1.3]}, "inputs": {"loss_crit": "ad"}},
  "gc": {"type": "gan_crit_loss", "inputs": {"loss_crit": "ad"}},
  "noop": {"type": "noop"}, "was": {"type": "wasserstein"},
  "hg": {"type": "hinge_gen"}, "hc": {"type": "hinge_crit"},
  "lg": {"type": "lsgan_gen"}, "lc": {"type": "lsgan_crit"},
  "rg": {"type": "ragan_gen"}, "rc": {"type": "ragan_crit"},
  "pg": {"type": "rpgan_gen"}, "pc": {"type": "rpgan_crit"},
  "gp": {"type": "wgan_gp", "params": {"lambda": 7.5}},
  "r1": {"type": "r1", "params": {"gamma": 3.0}, "inputs": {"base": "was"}},
  "r2": {"type": "r2", "params": {"gamma": 2.5}, "inputs": {"base": "was"}}})";

template <class T> std::shared_ptr<T> node(BuiltGraph& g, const std::string& name) {
  auto n = std::dynamic_pointer_cast<T>(g.nodes.at(name));
  REQUIRE(n);
  return n;
}

const std::function<torch::Tensor(const torch::Tensor&)> no_critic = [](const torch::Tensor&) -> torch::Tensor {
  throw std::runtime_error("this loss must not call the critic");
};

torch::Tensor crit_loss(BuiltGraph& g, const std::string& name, const torch::Tensor& real_pred,
                        const torch::Tensor& fake_pred) {
  torch::Tensor none;
  return node<CritLoss>(g, name)->forward({real_pred, fake_pred, none, none, no_critic});
}

// A generator batch as the GAN stage hands it over: real_pred only for losses that ask for it.
torch::Tensor gen_loss(BuiltGraph& g, const std::string& name, const torch::Tensor& fake_pred,
                       const torch::Tensor& output, const torch::Tensor& target, const torch::Tensor& real_pred) {
  auto loss = node<GenLoss>(g, name);
  torch::Tensor given = loss->needs_real_pred() ? real_pred : torch::Tensor();
  return loss->forward({given, fake_pred, target, output, no_critic});
}
}  // namespace

TEST_CASE("every loss matches PyTorch, and the penalties match torch.autograd.grad", "[losses][pytorch]") {
  auto g = build_nodes(kLosses);
  torch::manual_seed(21);
  const int64_t bs = 6;
  std::map<std::string, torch::Tensor> t;
  auto logits = t["logits"] = torch::randn({bs, 5});
  auto fake_logits = t["fake_logits"] = torch::randn({bs, 5});
  auto labels = t["labels"] = torch::randint(0, 2, {bs}).to(torch::kFloat);
  auto same_target = t["same_target"] = torch::rand({bs, 5});
  auto output = t["output"] = torch::randn({bs, 2, 8, 8}).tanh();
  auto target = t["target"] = torch::randn({bs, 2, 8, 8}).tanh();
  auto fake_pred = t["fake_pred"] = torch::randn({bs, 1});
  auto real_pred = t["real_pred"] = torch::randn({bs, 1});
  t["weights_gen"] = torch::tensor({0.7, 1.3});

  t["loss.bce_with_logits"] = node<Loss>(g, "bce")->forward(logits, same_target);
  t["loss.mse"] = node<Loss>(g, "mse")->forward(output, target);
  t["loss.l1"] = node<Loss>(g, "l1")->forward(output, target);
  t["loss.mse_flat_pred"] = node<Loss>(g, "mse")->forward(fake_pred, labels);
  t["loss.adaptive_loss"] = node<Loss>(g, "ad")->forward(logits, labels);
  t["loss.gan_gen_loss"] = gen_loss(g, "gg", logits, output, target, fake_logits);
  t["loss.gan_gen_loss_adv"] = gen_loss(g, "gga", logits, output, target, fake_logits);
  t["loss.gan_crit_loss"] = crit_loss(g, "gc", logits, fake_logits);
  t["loss.noop"] = gen_loss(g, "noop", fake_pred, output, target, real_pred);
  t["loss.wasserstein"] = crit_loss(g, "was", real_pred, fake_pred);
  t["loss.hinge_gen"] = gen_loss(g, "hg", fake_pred, output, target, real_pred);
  t["loss.hinge_crit"] = crit_loss(g, "hc", real_pred, fake_pred);
  t["loss.lsgan_gen"] = gen_loss(g, "lg", fake_pred, output, target, real_pred);
  t["loss.lsgan_crit"] = crit_loss(g, "lc", real_pred, fake_pred);
  // The relativistic pairs: the generator loss asks for the real scores, and its gradient
  // reaches fake_pred (RaGAN's through both terms; RpGAN's pairs the i-th fake with the i-th real).
  auto relativistic = [&](const std::string& gen, const std::string& crit, const std::string& key) {
    CHECK(node<GenLoss>(g, gen)->needs_real_pred());
    auto fake_pred_g = fake_pred.clone().requires_grad_(true);
    auto loss = gen_loss(g, gen, fake_pred_g, output, target, real_pred);
    loss.backward();
    t["loss." + key + "_gen"] = loss.detach();
    t[key + "_gen.grad.fake_pred"] = fake_pred_g.grad();
    t["loss." + key + "_crit"] = crit_loss(g, crit, real_pred, fake_pred);
  };
  CHECK_FALSE(node<GenLoss>(g, "gg")->needs_real_pred());
  relativistic("rg", "rc", "ragan");
  relativistic("pg", "pc", "rpgan");

  // The penalties on a small critic (mirrored in check_losses.py), smooth so double backward matters.
  torch::nn::Sequential critic(torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 4, 3).stride(2).padding(1)),
                               torch::nn::Softplus(), torch::nn::Flatten(), torch::nn::Linear(64, 1));
  for (auto& p : critic->named_parameters()) t["critic." + p.key()] = p.value().detach().clone();
  auto real = t["real"] = torch::randn({bs, 2, 8, 8});
  auto fake = t["fake"] = torch::randn({bs, 2, 8, 8});
  std::vector<torch::Tensor> seen;  // what the loss fed to the critic
  std::function<torch::Tensor(const torch::Tensor&)> fn = [&](const torch::Tensor& x) {
    seen.push_back(x.detach().clone());
    return critic->forward(x);
  };
  auto penalty = [&](const std::string& name, const std::string& key) {
    critic->zero_grad();
    seen.clear();
    auto rp = critic->forward(real), fp = critic->forward(fake);
    auto loss = node<CritLoss>(g, name)->forward({rp, fp, real, fake, fn});
    loss.backward();
    t["loss." + key] = loss;
    for (auto& p : critic->named_parameters()) t[key + ".grad." + p.key()] = p.value().grad().clone();
  };
  penalty("gp", "wgan_gp");
  REQUIRE(seen.size() == 1);
  t["gp.x_hat"] = seen[0];
  t["gp.lambda"] = torch::tensor(7.5);
  penalty("r1", "r1");
  REQUIRE(seen.size() == 1);
  CHECK(torch::equal(seen[0], real));
  t["r1.gamma"] = torch::tensor(3.0);
  penalty("r2", "r2");
  REQUIRE(seen.size() == 1);
  CHECK(torch::equal(seen[0], fake));
  t["r2.gamma"] = torch::tensor(2.5);

  std::string file = scratch_dir("losses") + "/tensors.pt";
  save_tensors(file, t);
  auto r = run_python("check_losses.py", {file});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("OK"));
}

TEST_CASE("r1 and r2 through basic_critic's fast layers give PyTorch's penalty and critic gradients", "[losses][pytorch]") {
  // The penalties differentiate the critic's input gradient: every layer of the real critic
  // (FastConv2d, BatchNorm fused with LeakyReLU) must give its second derivative.
  auto g = build_nodes(R"({"was": {"type": "wasserstein"},
                           "r1": {"type": "r1", "params": {"gamma": 3.0}, "inputs": {"base": "was"}},
                           "r2": {"type": "r2", "params": {"gamma": 2.5}, "inputs": {"base": "r1"}},
                           "critic": {"type": "basic_critic", "params": {"in_size": 16, "n_channels": 3, "n_features": 8,
                                      "n_extra_layers": 1}}})");
  auto critic = node<Model>(g, "critic");
  auto& m = critic->module();
  m.train();
  std::map<std::string, torch::Tensor> t;
  for (auto& p : m.named_parameters()) t["state." + p.key()] = p.value().detach().clone();
  for (auto& b : m.named_buffers()) t["state." + b.key()] = b.value().clone();
  torch::manual_seed(22);
  auto real = t["real"] = torch::randn({6, 3, 16, 16});
  auto fake = t["fake"] = torch::randn({6, 3, 16, 16}).tanh();
  t["r1.gamma"] = torch::tensor(3.0);
  t["r2.gamma"] = torch::tensor(2.5);
  std::function<torch::Tensor(const torch::Tensor&)> fn = [&](const torch::Tensor& x) { return critic->forward(x); };
  auto rp = fn(real), fp = fn(fake);
  auto loss = node<CritLoss>(g, "r2")->forward({rp, fp, real, fake, fn});
  loss.backward();
  t["loss"] = loss;
  int grads = 0;
  for (auto& p : m.named_parameters()) {
    REQUIRE(p.value().grad().defined());
    t["grad." + p.key()] = p.value().grad();
    ++grads;
  }
  CHECK(grads >= 6);
  std::string file = scratch_dir("model_penalties") + "/tensors.pt";
  save_tensors(file, t);
  auto r = run_python("check_model_penalties.py",
                      {file, R"({"in_size": 16, "n_channels": 3, "n_features": 8, "n_extra_layers": 1})"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("OK"));
}
