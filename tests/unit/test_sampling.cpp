// generate's sampling tools: truncation of a real noise source's draws, slerp and the
// interpolation path.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "ganflow/data.hpp"
#include "ganflow/framework/session/sampling.hpp"
#include "test_support.hpp"

using namespace ganflow;
using namespace ganflow::test;

TEST_CASE("truncate_noise redraws exactly the components beyond psi from the noise source", "[sampling]") {
  auto noise = build_one<NoiseSource>("noisy_item", R"({"noise_sz": 32})");
  torch::manual_seed(1);
  const torch::Tensor z = noise->sample(64, torch::kCPU);
  REQUIRE(z.abs().max().item<double>() > 0.5);  // something to truncate
  int64_t draws = 0;
  torch::Tensor t = truncate_noise(z, 0.5, [&] { return ++draws, noise->sample(64, torch::kCPU); });
  CHECK(t.sizes() == z.sizes());
  CHECK(t.abs().max().item<double>() <= 0.5);
  torch::Tensor inside = z.abs() <= 0.5;
  CHECK(torch::equal(t.masked_select(inside), z.masked_select(inside)));
  CHECK(draws > 1);  // a standard normal needs several rounds to fill every slot within 0.5
  CHECK_THROWS_WITH(truncate_noise(z, 0.5, [] { return torch::full({64, 32, 1, 1}, 2.0f); }, 20),
                    Catch::Contains("no value within it in 20 tries"));
}

TEST_CASE("slerp keeps the norm between orthogonal vectors and the path ends at its keys", "[sampling]") {
  torch::Tensor a = torch::zeros({1, 4}), b = torch::zeros({1, 4});
  a[0][0] = 2, b[0][1] = 2;
  torch::Tensor mid = slerp(a, b, 0.5);
  CHECK(mid.norm().item<double>() == Approx(2.0));
  CHECK(mid[0][0].item<double>() == Approx(std::sqrt(2.0)));
  CHECK(torch::allclose(slerp(a, b, 0.0), a));
  CHECK(torch::allclose(slerp(a, b, 1.0), b));
  // Parallel vectors: linear.
  CHECK(torch::allclose(slerp(a, a * 3, 0.5), a * 2));

  torch::manual_seed(2);
  std::vector<torch::Tensor> keys = {torch::randn({1, 8, 1, 1}), torch::randn({1, 8, 1, 1}), torch::randn({1, 8, 1, 1})};
  torch::Tensor path = interpolation_path(keys, 4);
  REQUIRE(path.size(0) == 7);
  for (int64_t k = 0; k < 3; ++k) CHECK(torch::equal(path[k * 3], keys[k][0]));
  CHECK_FALSE(torch::equal(path[1], path[0]));
}
