// Loss nodes: analytic penalty values, sign conventions of each gen/crit pair, shape errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/loss.hpp"
#include "ganflow/step_variant.hpp"
#include "test_support.hpp"

using namespace ganflow;
using namespace ganflow::test;

namespace {
using CriticFn = std::function<torch::Tensor(const torch::Tensor&)>;

// A linear critic sum(x * u): its input gradient is u everywhere, so penalties are known exactly.
CriticFn linear_critic(const torch::Tensor& u) {
  return [u](const torch::Tensor& x) { return (x * u).flatten(1).sum(1, true); };
}

torch::Tensor run_crit(const std::shared_ptr<CritLoss>& loss, const torch::Tensor& real, const torch::Tensor& fake,
                       const CriticFn& critic, int64_t critic_steps = 0) {
  auto rp = critic(real), fp = critic(fake);
  CriticBatch b{rp, fp, real, fake, critic};
  b.critic_steps = critic_steps;
  return loss->forward(b);
}
}  // namespace

TEST_CASE("wgan_gp and r1 give the exact penalty of a linear critic, also under no-grad", "[losses]") {
  torch::manual_seed(5);
  auto real = torch::randn({4, 1, 3, 3}), fake = torch::randn({4, 1, 3, 3});
  auto u = torch::randn({1, 1, 3, 3});
  auto gp = build_one<CritLoss>("wgan_gp", R"({"lambda": 10})");
  auto was = build_one<CritLoss>("wasserstein");
  for (double norm : {1.0, 2.0, 0.5}) {
    auto unit = u / u.norm() * norm;
    double w = run_crit(was, real, fake, linear_critic(unit)).item<double>();
    double got = run_crit(gp, real, fake, linear_critic(unit)).item<double>();
    CHECK(got == Approx(w + 10 * (norm - 1) * (norm - 1)).margin(1e-5));
  }
  auto r1 = build_node<CritLoss>(R"({"w": {"type": "wasserstein"}, "r": {"type": "r1", "params": {"gamma": 3}, "inputs": {"base": "w"}}})", "r");
  auto two = u / u.norm() * 2;
  double w = run_crit(was, real, fake, linear_critic(two)).item<double>();
  CHECK(run_crit(r1, real, fake, linear_critic(two)).item<double>() == Approx(w + 3.0 / 2 * 4).margin(1e-5));
  // A validation pass may run the loss under no-grad: the penalty is still computed.
  torch::NoGradGuard no_grad;
  CHECK(run_crit(gp, real, fake, linear_critic(two)).item<double>() == Approx(w + 10).margin(1e-5));
}

TEST_CASE("lazy r1 adds gamma * every / 2 times the penalty on every every-th critic batch only", "[losses]") {
  torch::manual_seed(6);
  auto real = torch::randn({4, 1, 3, 3}), fake = torch::randn({4, 1, 3, 3});
  auto u = torch::randn({1, 1, 3, 3});
  auto two = u / u.norm() * 2;  // ||d critic / d real||^2 = 4 for every image
  auto was = build_one<CritLoss>("wasserstein");
  auto lazy = build_node<CritLoss>(
      R"({"w": {"type": "wasserstein"}, "r": {"type": "r1", "params": {"gamma": 3, "every": 4}, "inputs": {"base": "w"}}})", "r");
  const double w = run_crit(was, real, fake, linear_critic(two)).item<double>();
  int penalised = 0;
  for (int64_t step = 0; step < 10; ++step) {
    INFO("critic step " << step);
    const double got = run_crit(lazy, real, fake, linear_critic(two), step).item<double>();
    if (step % 4 == 0) {
      CHECK(got == Approx(w + 3.0 * 4 / 2 * 4).margin(1e-4));
      ++penalised;
    } else {
      CHECK(got == Approx(w).margin(1e-6));
    }
  }
  CHECK(penalised == 3);  // steps 0, 4, 8
}

TEST_CASE("r2 penalises the gradient at the fakes, scored by the batch's fake scorer, lazily too", "[losses]") {
  torch::manual_seed(7);
  auto real = torch::randn({4, 1, 3, 3}), fake = torch::randn({4, 1, 3, 3});
  auto u = torch::randn({1, 1, 3, 3});
  auto two = u / u.norm() * 2, three = u / u.norm() * 3;  // squared input-gradient norms 4 and 9
  auto was = build_one<CritLoss>("wasserstein");
  auto r2 = build_node<CritLoss>(
      R"({"w": {"type": "wasserstein"}, "r": {"type": "r2", "params": {"gamma": 3, "every": 2}, "inputs": {"base": "w"}}})", "r");
  const CriticFn critic = linear_critic(two), fake_critic = linear_critic(three);
  auto rp = critic(real), fp = fake_critic(fake);
  const double w = was->forward({rp, fp, real, fake, critic}).item<double>();
  // Without a fake scorer (an unconditional run) the penalty scores the fakes with `critic`.
  CHECK(r2->forward({rp, fp, real, fake, critic}).item<double>() == Approx(w + 3.0 * 2 / 2 * 4).margin(1e-4));
  CriticBatch with_fake_scorer{rp, fp, real, fake, critic};
  with_fake_scorer.fake_critic = &fake_critic;
  CHECK(r2->forward(with_fake_scorer).item<double>() == Approx(w + 3.0 * 2 / 2 * 9).margin(1e-4));
  with_fake_scorer.critic_steps = 3;  // lazy: no penalty between every-th batches
  CHECK(r2->forward(with_fake_scorer).item<double>() == Approx(w).margin(1e-6));
}

TEST_CASE("lazy penalties name their step variant, through r1 -> r2 and an acgan wrapper", "[losses][graphs]") {
  auto g = build_nodes(R"({
    "w": {"type": "wasserstein"},
    "r2": {"type": "r2", "params": {"every": 2}, "inputs": {"base": "w"}},
    "r1": {"type": "r1", "params": {"every": 3}, "inputs": {"base": "r2"}},
    "ac": {"type": "acgan_crit", "inputs": {"base": "r1"}},
    "each": {"type": "r1", "inputs": {"base": "w"}}})");
  auto loss = [&](const std::string& n) { return std::dynamic_pointer_cast<CritLoss>(g.nodes.at(n)); };
  // r1 runs at steps 0, 3, 6 (bit 0), r2 at even steps (bit 1): four variants over six steps.
  const std::vector<int64_t> expected = {3, 0, 2, 1, 2, 0, 3};
  for (int64_t s = 0; s < int64_t(expected.size()); ++s) {
    INFO("critic step " << s);
    CHECK(step_variant_of(*loss("r1"), s) == expected[s]);
    CHECK(step_variant_of(*loss("ac"), s) == expected[s]);
    CHECK(step_variant_of(*loss("each"), s) == 1);  // every batch: one variant
    CHECK(step_variant_of(*loss("w"), s) == 0);     // no interface: the same kernels every step
  }
}

TEST_CASE("each gen/crit pair pulls fake scores in opposite directions", "[losses]") {
  // Points inside every loss's active region (hinge margin, LSGAN between the targets).
  auto fake_pred = torch::tensor({{0.2}, {0.4}, {0.6}});
  auto real_pred = torch::tensor({{0.3}, {0.5}, {0.7}});
  auto img = torch::zeros({3, 1, 2, 2});
  auto g = build_nodes(R"({
    "bce": {"type": "bce_with_logits"}, "ad": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
    "gg": {"type": "gan_gen_loss", "inputs": {"loss_crit": "ad"}}, "gc": {"type": "gan_crit_loss", "inputs": {"loss_crit": "ad"}},
    "noop": {"type": "noop"}, "was": {"type": "wasserstein"}, "gp": {"type": "wgan_gp"},
    "hg": {"type": "hinge_gen"}, "hc": {"type": "hinge_crit"}, "lg": {"type": "lsgan_gen"}, "lc": {"type": "lsgan_crit"},
    "rg": {"type": "ragan_gen"}, "rc": {"type": "ragan_crit"}, "pg": {"type": "rpgan_gen"}, "pc": {"type": "rpgan_crit"}})");
  CriticFn unit_critic = [](const torch::Tensor& x) { return x.flatten(1).sum(1, true) * 0.5; };
  int pairs = 0;
  for (auto [gen, crit] : std::vector<std::pair<std::string, std::string>>{
           {"gg", "gc"}, {"noop", "was"}, {"noop", "gp"}, {"hg", "hc"}, {"lg", "lc"}, {"rg", "rc"}, {"pg", "pc"}}) {
    INFO(gen << " / " << crit);
    auto f1 = fake_pred.clone().requires_grad_(true), f2 = fake_pred.clone().requires_grad_(true);
    std::dynamic_pointer_cast<GenLoss>(g.nodes.at(gen))->forward({real_pred, f1, img, img, unit_critic}).backward();
    std::dynamic_pointer_cast<CritLoss>(g.nodes.at(crit))->forward({real_pred, f2, img, img, unit_critic}).backward();
    CHECK((f1.grad() * f2.grad() < 0).all().item<bool>());
    ++pairs;
  }
  CHECK(pairs == 7);
}

TEST_CASE("loss shape problems are one-line errors naming the node", "[losses]") {
  auto g = build_nodes(R"({"bce": {"type": "bce_with_logits"}, "ad": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
                          "mse": {"type": "mse"}})");
  auto bce = std::dynamic_pointer_cast<Loss>(g.nodes.at("bce"));
  CHECK_THROWS_WITH(bce->forward(torch::zeros({4, 1}), torch::zeros({4})),
                    "node 'bce': target shape [4] does not match output shape [4, 1]; wrap it in adaptive_loss to "
                    "expand per-image labels");
  auto ad = std::dynamic_pointer_cast<Loss>(g.nodes.at("ad"));
  CHECK_THROWS_WITH(ad->forward(torch::zeros({4, 3}), torch::zeros({5})), Catch::StartsWith("node 'ad': expected per-image labels"));
  // adaptive_loss also takes basic_critic's [bs, 1] and a 4-D patch map.
  auto labels = torch::tensor({1.f, 0.f, 1.f, 0.f});
  auto logits = torch::randn({4, 1, 2, 2});
  CHECK(ad->forward(logits, labels).item<double>() ==
        Approx(torch::binary_cross_entropy_with_logits(logits, labels.view({4, 1, 1, 1}).expand({4, 1, 2, 2})).item<double>()));
  auto mse = std::dynamic_pointer_cast<Loss>(g.nodes.at("mse"));
  CHECK_THROWS_WITH(mse->forward(torch::zeros({4, 2}), torch::zeros({4})), Catch::Contains("different numbers of elements"));
  CHECK_THAT(build_error(R"({"bce": {"type": "bce_with_logits"}, "gg": {"type": "gan_gen_loss", "params": {"weights_gen": [1]}, "inputs": {"loss_crit": "bce"}}})"),
             Catch::Contains("/nodes/gg/params/weights_gen"));
  CHECK_THAT(build_error(R"({"gg": {"type": "gan_gen_loss"}})"), Catch::Contains("loss_crit"));
  auto rpgan = build_one<CritLoss>("rpgan_crit");
  torch::Tensor rp = torch::zeros({4, 1}), fp = torch::zeros({3, 1}), none;
  CHECK_THROWS_WITH(rpgan->forward({rp, fp, none, none, {}}),
                    "node 'n': pairs real and fake scores image by image, and got [3, 1] against [4, 1] (the real "
                    "and fake batches must be the same size)");
}

TEST_CASE("the gradient penalties refuse a critic that scores the batch as a whole", "[losses]") {
  CriticFn batch_mean = [](const torch::Tensor& x) { return x.mean().view({1}); };
  auto real = torch::randn({4, 1, 2, 2}), fake = torch::randn({4, 1, 2, 2});
  auto gp = build_one<CritLoss>("wgan_gp");
  CHECK_THROWS_WITH(run_crit(gp, real, fake, batch_mean),
                    "node 'n': the gradient penalty needs one critic score per image, got [1] for 4 images (use the "
                    "critic's flatten output)");
}
