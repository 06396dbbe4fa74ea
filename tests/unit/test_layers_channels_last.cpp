// Channels-last through the fast layers: channels_last_strided writes out the strides that
// oneDNN reads a layout from, so a network converted with it stays channels-last from the
// noise to the critic's output, where contiguous(ChannelsLast) alone left 1-channel layers NCHW.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/layers/channels_last.hpp"
#include "ganflow/layers/conv2d.hpp"
#include "ganflow/layers/conv_transpose.hpp"
#include "layer_vs_stock.hpp"

namespace {
const auto kChannelsLast = torch::MemoryFormat::ChannelsLast;
}  // namespace

TEST_CASE("channels_last_strided gives a 1-channel tensor the strides oneDNN reads as channels-last", "[layers]") {
  torch::Tensor w = torch::randn({16, 1, 4, 4});
  CHECK(w.contiguous(kChannelsLast).suggest_memory_format() == torch::MemoryFormat::Contiguous);  // the trap
  torch::Tensor cl = ganflow::layers::channels_last_strided(w);
  CHECK(cl.suggest_memory_format() == kChannelsLast);
  CHECK(torch::equal(cl, w));
  CHECK(ganflow::layers::channels_last_strided(cl).data_ptr() == cl.data_ptr());  // already so: no copy
  CHECK_THROWS_WITH(ganflow::layers::channels_last_strided(torch::randn({2, 3})), Catch::Contains("4-D"));
}

TEST_CASE("A channels-last critic's 1-channel first convolution answers channels-last", "[layers]") {
  gantest::FastLayers fast(true);
  torch::manual_seed(8);
  ganflow::layers::FastConv2d conv(torch::nn::Conv2dOptions(1, 16, 4).stride(2).padding(1));
  torch::Tensor x = torch::randn({4, 1, 16, 16});
  torch::Tensor reference = conv->forward(x);
  {
    torch::NoGradGuard ng;
    conv->weight.set_data(ganflow::layers::channels_last_strided(conv->weight));
  }
  torch::Tensor y = conv->forward(x.contiguous(kChannelsLast));
  CHECK(y.is_contiguous(kChannelsLast));
  CHECK_FALSE(y.is_contiguous());
  CHECK(torch::allclose(y, reference, 1e-5, 1e-5));
}

TEST_CASE("The 1x1-input transposed convolution answers channels-last for a channels-last weight", "[layers]") {
  // A generator's first layer (noise -> 4x4), the matrix-product path: with a channels-last
  // weight its product comes out in NHWC order, with no copy.
  gantest::FastLayers fast(true);
  torch::manual_seed(9);
  ganflow::layers::FastConvTranspose2d convt(torch::nn::ConvTranspose2dOptions(8, 32, 4).bias(true));
  torch::Tensor z = torch::randn({5, 8, 1, 1});
  REQUIRE(ganflow::layers::conv_transpose_path(*convt, z) == ganflow::layers::ConvTransposePath::matmul);
  torch::Tensor reference = convt->forward(z);
  CHECK(reference.is_contiguous());
  {
    torch::NoGradGuard ng;
    convt->weight.set_data(ganflow::layers::channels_last_strided(convt->weight));
  }
  torch::Tensor zg = z.clone().requires_grad_(true);
  torch::Tensor y = convt->forward(zg);
  CHECK(y.is_contiguous(kChannelsLast));
  CHECK_FALSE(y.is_contiguous());
  CHECK(torch::allclose(y, reference, 1e-5, 1e-5));
  y.sum().backward();  // the permuted views differentiate back to the weight in its own layout
  REQUIRE(convt->weight.grad().defined());
  CHECK(torch::allclose(convt->weight.grad(), z.sum(0).view({8, 1, 1, 1}).expand({8, 32, 4, 4}), 1e-5, 1e-5));
  CHECK(torch::allclose(zg.grad(), convt->weight.sum({1, 2, 3}).view({1, 8, 1, 1}).expand({5, 8, 1, 1}), 1e-4, 1e-5));
}
