// The default DCGAN recipe learns: a short CPU run on a Fashion-MNIST subset moves the
// generator's images from noise towards the data (mean image and pixel histogram) and they
// are not all the same image.
#include <catch2/catch.hpp>

#include "ganflow/item_source.hpp"
#include "ganflow/model.hpp"
#include "gan_harness.hpp"

using ganflow::json;

namespace {
torch::Tensor fakes(ganflow::Model& g, int64_t n) {
  torch::NoGradGuard ng;
  g.module().train();  // as trained (switch_eval false): BatchNorm on batch statistics
  torch::manual_seed(123);
  return g.forward(torch::randn({n, 32, 1, 1}));
}
}  // namespace

TEST_CASE("a short DCGAN run on Fashion-MNIST learns", "[gan][learning]") {
  json g = gantest::tiny_dcgan({"learning", 3, 4096, 32, 32, 32},
                               {{"epochs", 2}, {"max_batches", 120}, {"switch_eval", false}, {"checkpoint_every", 0}});
  g["nodes"]["data"]["params"].erase("threads");  // the automatic loader thread budget
  // The same graph, built but not trained, gives the untrained generator to compare with.
  ganflow::Graph untrained_graph = ganflow::parse_graph(g.dump());
  ganflow::validate_graph(untrained_graph, gantest::registry());
  torch::manual_seed(3);
  auto untrained = ganflow::build_graph(untrained_graph, gantest::registry());

  std::string dir = gantest::temp_dir("learning");
  auto built = gantest::run_graph(g.dump(), dir);
  auto& source = dynamic_cast<ganflow::ItemSource&>(*built.nodes.at("images"));
  torch::Tensor real = gantest::real_images(source, 512, 32);
  torch::Tensor before = fakes(dynamic_cast<ganflow::Model&>(*untrained.nodes.at("generator")), 512);
  torch::Tensor after = fakes(dynamic_cast<ganflow::Model&>(*built.nodes.at("generator")), 512);

  double d_before = gantest::mean_image_distance(before, real), d_after = gantest::mean_image_distance(after, real);
  INFO("mean-image RMS distance to real: before " << d_before << ", after " << d_after);
  CHECK(d_after < 0.5 * d_before);
  // Fashion-MNIST is mostly background (-1): so should the samples be.
  auto dark = [](const torch::Tensor& t) { return (t < -0.5).to(torch::kFloat32).mean().item<double>(); };
  INFO("dark fraction: real " << dark(real) << ", untrained " << dark(before) << ", trained " << dark(after));
  CHECK(std::abs(dark(after) - dark(real)) < 0.5 * std::abs(dark(before) - dark(real)));
  // Not one image for every noise vector (mode collapse to a constant).
  double spread = after.std(0).mean().item<double>();
  INFO("per-pixel std across samples " << spread);
  CHECK(spread > 0.1);
}
