// accuracy_thresh_expand against fastai's definition in PyTorch (tests/python/check_metrics.py).
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/metric.hpp"
#include "test_support.hpp"

using namespace ganflow;
using namespace ganflow::test;

TEST_CASE("accuracy_thresh_expand matches fastai's batch-size weighted mean", "[metrics][pytorch]") {
  torch::manual_seed(31);
  std::map<std::string, torch::Tensor> t;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches;
  // Patch outputs of different widths and batch sizes; labels include a 0.7 that .byte() truncates to 0.
  for (auto [bs, n] : std::vector<std::pair<int64_t, int64_t>>{{4, 9}, {3, 9}, {5, 1}}) {
    auto pred = torch::randn({bs, n}) * 2;
    auto target = torch::randint(0, 2, {bs}).to(torch::kFloat);
    target[0] = 0.7;
    t["pred." + std::to_string(batches.size())] = pred;
    t["target." + std::to_string(batches.size())] = target;
    batches.emplace_back(pred, target);
  }
  std::vector<std::pair<double, bool>> settings{{0.5, true}, {0.3, true}, {0.0, false}, {0.8, false}};
  std::vector<double> values;
  for (auto [thresh, sigmoid] : settings) {
    auto m = build_one<Metric>("accuracy_thresh_expand", "{\"thresh\": " + std::to_string(thresh) +
                                                             ", \"sigmoid\": " + (sigmoid ? "true" : "false") + "}");
    m->reset();
    for (auto& [pred, target] : batches) m->accumulate(pred, target);
    values.push_back(m->value());
  }
  auto s = torch::empty({int64_t(settings.size()), 2}, torch::kDouble);
  for (std::size_t i = 0; i < settings.size(); ++i) s[i][0] = settings[i].first, s[i][1] = double(settings[i].second);
  t["settings"] = s;
  t["values"] = torch::tensor(values, torch::kDouble);
  std::string file = scratch_dir("metrics") + "/tensors.pt";
  save_tensors(file, t);
  auto r = run_python("check_metrics.py", {file});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("OK"));
}

TEST_CASE("accuracy_thresh_expand counts per patch and resets per epoch", "[metrics]") {
  auto m = build_one<Metric>("accuracy_thresh_expand");
  // Logits: image 0 (label 1) has 3 of 4 patches > 0; image 1 (label 0) has 1 of 4.
  auto pred = torch::tensor({{1.f, 2.f, 3.f, -1.f}, {-1.f, -2.f, -3.f, 1.f}});
  m->reset();
  m->accumulate(pred, torch::tensor({1.f, 0.f}));
  CHECK(m->value() == Approx(6.0 / 8));
  m->accumulate(torch::tensor({{5.f}}), torch::tensor({0.f}));  // batch of 1, wrong: weighted 1/3
  CHECK(m->value() == Approx((0.75 * 2 + 0) / 3));
  m->reset();
  CHECK(m->value() == 0.0);
  CHECK_THROWS_WITH(m->accumulate(pred, torch::tensor({1.f})), Catch::Contains("expected per-image labels [bs]"));
}
