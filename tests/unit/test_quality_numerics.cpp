// fd, kid, precision_recall: identities, the N <= d refusal, and agreement with numpy/scipy
// (tests/python/check_quality.py, Debian's python3-scipy) on the same features.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/metric.hpp"
#include "test_support.hpp"

using namespace ganflow;
using ganflow::test::run_python;
using ganflow::test::save_tensors;
using ganflow::test::scratch_dir;
using ganflow::test::build_error;
using ganflow::test::build_node;
using ganflow::test::build_one;

namespace {
double metric_value(const std::string& type, const std::string& params, const torch::Tensor& a, const torch::Tensor& b) {
  auto m = build_one<Metric>(type, params);
  m->reset();
  // Two batches each, to exercise accumulation.
  int64_t ha = a.size(0) / 2, hb = b.defined() ? b.size(0) / 2 : 0;
  auto part = [](const torch::Tensor& t, int64_t from, int64_t n) { return t.defined() ? t.narrow(0, from, n) : t; };
  m->accumulate(a.narrow(0, 0, ha), part(b, 0, hb));
  m->accumulate(a.narrow(0, ha, a.size(0) - ha), part(b, hb, b.defined() ? b.size(0) - hb : 0));
  return m->value();
}

// Correlated, non-centred features so the covariances are far from identity.
torch::Tensor features(int64_t n, int64_t d, int64_t seed, double shift) {
  torch::manual_seed(seed);
  auto mix = torch::randn({d, d}, torch::kDouble) / std::sqrt(double(d));
  return torch::randn({n, d}, torch::kDouble).mm(mix) + shift + torch::linspace(0, 1, d, torch::kDouble);
}
}  // namespace

TEST_CASE("FD of a set with itself is 0 and a mean shift adds its squared norm", "[quality]") {
  auto x = features(600, 32, 1, 0.0);
  double fd_self = metric_value("fd", "{}", x, x);
  CHECK(std::abs(fd_self) < 1e-9);
  // Same covariance, mean moved by 0.5 in every dimension: FD = 32 * 0.25.
  CHECK(metric_value("fd", "{}", x + 0.5, x) == Approx(8.0).epsilon(1e-9));
  auto y = features(600, 32, 2, 0.3);
  CHECK(metric_value("fd", "{}", x, y) > 1.0);
}

TEST_CASE("FD refuses N <= the feature dimension with a clear error", "[quality]") {
  auto x = features(100, 128, 3, 0.0);
  auto y = features(1000, 128, 4, 0.0);
  CHECK_THROWS_WITH(metric_value("fd", "{}", x, y),
                    Catch::Contains("N = 100 <= d = 128") && Catch::Contains("covariance is singular"));
  // N = d + 1 is enough.
  CHECK(std::isfinite(metric_value("fd", "{}", features(129, 128, 5, 0.0), y)));
}

TEST_CASE("KID is about 0 for two halves of one distribution and positive for different ones", "[quality]") {
  auto all = features(2000, 64, 6, 0.0);
  auto a = all.narrow(0, 0, 1000), b = all.narrow(0, 1000, 1000);
  double same = metric_value("kid", R"({"subsets": 20, "subset_size": 500})", a, b);
  double same_std = metric_value("kid", R"({"subsets": 20, "subset_size": 500, "value": "std"})", a, b);
  double other = metric_value("kid", R"({"subsets": 20, "subset_size": 500})", a, features(1000, 64, 7, 0.2));
  INFO("same " << same << " +- " << same_std << ", other " << other);
  CHECK(std::abs(same) < 0.02 * other);
  CHECK(std::abs(same) < 3 * same_std + 1e-3);
  CHECK(other > 0);
}

TEST_CASE("FD, KID and precision/recall match numpy/scipy on the same features", "[quality][python]") {
  auto a = features(700, 48, 8, 0.0);
  auto b = features(600, 48, 9, 0.1);
  std::map<std::string, torch::Tensor> t{{"a", a}, {"b", b}};
  t["fd"] = torch::tensor({metric_value("fd", "{}", a, b)}, torch::kDouble);
  // One subset of the full size: every row is used, so numpy needs no sampler.
  t["kid"] = torch::tensor({metric_value("kid", R"({"subsets": 1, "subset_size": 600})", a.narrow(0, 0, 600), b)},
                           torch::kDouble);
  t["precision"] = torch::tensor({metric_value("precision_recall", R"({"k": 3})", a, b)}, torch::kDouble);
  t["recall"] = torch::tensor({metric_value("precision_recall", R"({"k": 3, "value": "recall"})", a, b)},
                              torch::kDouble);
  // Inception Score: 1003 rows of logits in 7 splits (143 or 144 rows, as the paper's code cuts
  // them), peaked enough to matter.
  torch::manual_seed(10);
  auto logits = t["logits"] = torch::randn({1003, 10}) * 3;
  t["is_mean"] = torch::tensor({metric_value("inception_score", R"({"splits": 7})", logits, torch::Tensor())}, torch::kDouble);
  t["is_std"] = torch::tensor({metric_value("inception_score", R"({"splits": 7, "value": "std"})", logits, torch::Tensor())},
                              torch::kDouble);
  std::string file = scratch_dir("quality") + "/features.pt";
  save_tensors(file, t);
  auto r = run_python("check_quality.py", {file});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("OK 6 checks"));
}

TEST_CASE("inception_score: 1 for one class, C for confident balanced classes, no NaN for an empty class, labels ignored, too few samples refused",
          "[quality]") {
  auto one_class = torch::zeros({200, 10});
  one_class.select(1, 3).fill_(50);
  CHECK(metric_value("inception_score", "{}", one_class, torch::Tensor()) == Approx(1.0).margin(1e-9));
  // Each split of 20 holds two of each of the 10 classes, each predicted with certainty.
  auto balanced = torch::full({200, 10}, -50.0);
  for (int64_t i = 0; i < 200; ++i) balanced[i][i % 10] = 50;
  CHECK(metric_value("inception_score", "{}", balanced, torch::Tensor()) == Approx(10.0).epsilon(1e-9));
  CHECK(metric_value("inception_score", R"({"value": "std"})", balanced, torch::Tensor()) == Approx(0.0).margin(1e-9));
  // Uncertain predictions (uniform p(y|x)) score 1 however balanced.
  CHECK(metric_value("inception_score", "{}", torch::zeros({200, 10}), torch::Tensor()) == Approx(1.0).margin(1e-9));
  CHECK_THROWS_WITH(metric_value("inception_score", R"({"splits": 20})", torch::zeros({10, 10}), torch::Tensor()),
                    Catch::Contains("10 samples cannot make 20 splits"));
  // A class no image gives any probability in double (exp(-800) = 0) adds nothing, not NaN:
  // two classes, each certain for half the images, score 2.
  auto gap = torch::zeros({200, 3});
  gap.select(1, 1).fill_(-800);
  for (int64_t i = 0; i < 200; i += 2) gap[i][0] = 50;
  for (int64_t i = 1; i < 200; i += 2) gap[i][2] = 50;
  CHECK(metric_value("inception_score", "{}", gap, torch::Tensor()) == Approx(2.0).epsilon(1e-9));
  // As a learner's metric it takes the logits and leaves the labels: no second feature set.
  auto m = build_one<Metric>("inception_score", "{}");
  m->reset();
  m->accumulate(balanced, torch::arange(200) % 10);
  CHECK(m->value() == Approx(10.0).epsilon(1e-9));
}

TEST_CASE("class_histogram: KL to uniform and modes hit", "[quality]") {
  // 10 classes: 50 samples each of classes 0-4, none of 5-9.
  auto logits = torch::zeros({250, 10});
  for (int64_t i = 0; i < 250; ++i) logits[i][i % 5] = 5;
  CHECK(metric_value("class_histogram", "{}", logits, torch::Tensor()) == Approx(std::log(2.0)));
  CHECK(metric_value("class_histogram", R"({"value": "modes"})", logits, torch::Tensor()) == 5);
  auto uniform = torch::zeros({100, 10});
  for (int64_t i = 0; i < 100; ++i) uniform[i][i % 10] = 1;
  CHECK(std::abs(metric_value("class_histogram", "{}", uniform, torch::Tensor())) < 1e-12);
}
