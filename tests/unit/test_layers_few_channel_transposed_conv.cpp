// few_channel_transposed_conv against LibTorch's own transposed convolution and convolution
// input gradient, over the geometries its tiles and phase rows have to get right; and where it applies.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>

#include "ganflow/layers/channels_last.hpp"
#include "ganflow/layers/few_channel_transposed_conv.hpp"
#include "layer_vs_stock.hpp"

namespace {
struct FewChannelCase {
  int64_t a, b, kh, kw, sy, sx, py, px, dy, dx, hi, wi, opy, opx;
};

std::vector<FewChannelCase> few_channel_cases() {
  return {
      {64, 1, 4, 4, 2, 2, 1, 1, 1, 1, 16, 16, 0, 0},  // a grey DCGAN generator's last layer
      {64, 3, 4, 4, 2, 2, 1, 1, 1, 1, 8, 33, 0, 0},   // RGB, two tiles and a tail per row
      {8, 2, 3, 3, 1, 1, 1, 1, 1, 1, 5, 5, 0, 0},     // stride 1, a row shorter than a tile
      {5, 4, 5, 3, 3, 2, 2, 0, 1, 1, 6, 17, 2, 1},    // non-square kernel and stride, output_padding
      {7, 1, 3, 3, 2, 2, 0, 2, 2, 3, 4, 9, 1, 2},     // dilation (output_padding below it)
      {3, 7, 4, 4, 2, 2, 1, 1, 1, 1, 3, 16, 0, 0},    // past kFewChannels: the kernel takes any count
      {9, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0},     // 1x1 everything
      {4, 1, 2, 2, 2, 2, 0, 0, 1, 1, 2, 40, 0, 0},    // a kernel equal to the stride: no overlap
  };
}

std::string few_channel_case_name(const FewChannelCase& c) {
  std::ostringstream s;
  s << "a " << c.a << " b " << c.b << " k " << c.kh << "x" << c.kw << " s " << c.sy << "," << c.sx << " p " << c.py
    << "," << c.px << " d " << c.dy << "," << c.dx << " in " << c.hi << "x" << c.wi;
  return s.str();
}
}  // namespace

TEST_CASE("few_channel_transposed_conv equals LibTorch's transposed convolution on every geometry", "[layers]") {
  const std::vector<FewChannelCase> cases = few_channel_cases();
  torch::manual_seed(0);
  int checked = 0;
  for (const auto& c : cases) {
    INFO(few_channel_case_name(c));
    torch::Tensor g = torch::randn({3, c.a, c.hi, c.wi}), w = torch::randn({c.a, c.b, c.kh, c.kw});
    torch::Tensor ref = at::conv_transpose2d(g, w, {}, {c.sy, c.sx}, {c.py, c.px}, {c.opy, c.opx}, 1, {c.dy, c.dx});
    torch::Tensor y = ganflow::layers::few_channel_transposed_conv(g, w, {c.sy, c.sx}, {c.py, c.px}, {c.dy, c.dx},
                                                                   {ref.size(2), ref.size(3)});
    REQUIRE(y.sizes() == ref.sizes());
    CHECK(torch::allclose(y, ref, 1e-4, 1e-4));
    ++checked;
  }
  CHECK(checked == int(cases.size()));
}

TEST_CASE("few_channel_transposed_conv in bf16 sums in float and rounds the result once", "[layers]") {
  const std::vector<FewChannelCase> cases = few_channel_cases();
  torch::manual_seed(2);
  int checked = 0;
  for (const auto& c : cases) {
    INFO(few_channel_case_name(c));
    torch::Tensor g = torch::randn({3, c.a, c.hi, c.wi}).to(torch::kBFloat16);
    torch::Tensor w = torch::randn({c.a, c.b, c.kh, c.kw}).to(torch::kBFloat16);
    // The same bf16 values summed in float. One rounding of that sum is within half a bf16 unit
    // of it (at most 2^-8 of its size; truncating would miss by up to 2^-7), plus float's own
    // summation-order noise.
    torch::Tensor exact = at::conv_transpose2d(g.to(torch::kFloat), w.to(torch::kFloat), {}, {c.sy, c.sx}, {c.py, c.px},
                                               {c.opy, c.opx}, 1, {c.dy, c.dx});
    torch::Tensor y = ganflow::layers::few_channel_transposed_conv(g, w, {c.sy, c.sx}, {c.py, c.px}, {c.dy, c.dx},
                                                                   {exact.size(2), exact.size(3)});
    REQUIRE(y.scalar_type() == torch::kBFloat16);
    REQUIRE(y.sizes() == exact.sizes());
    torch::Tensor error = (y.to(torch::kFloat) - exact).abs();
    CHECK((error <= exact.abs() * std::ldexp(1.0, -8) + 1e-4).all().item<bool>());
    ++checked;
  }
  CHECK(checked == int(cases.size()));
}

TEST_CASE("few_channel_transposed_conv reads channels-last input and answers in its layout", "[layers]") {
  torch::manual_seed(5);
  const auto cl = torch::MemoryFormat::ChannelsLast;
  // Rows shorter than a tile, and longer with a tail; float and bf16; one output channel (whose
  // NCHW strides pass for channels-last contiguous) and three; 20 input channels, which the
  // transpose to NCHW does not cut into whole 16-channel blocks, and 32, which it does.
  int checked = 0;
  for (int64_t wi : {9, 21})
    for (auto dtype : {torch::kFloat, torch::kBFloat16})
      for (auto [a, b] : std::vector<std::pair<int64_t, int64_t>>{{32, 3}, {20, 1}}) {
        INFO("width " << wi << ", " << dtype << ", " << a << " -> " << b << " channels");
        torch::Tensor g = torch::randn({3, a, 6, wi}).to(dtype), w = torch::randn({a, b, 4, 4}).to(dtype);
        const auto out = std::vector<int64_t>{12, 2 * wi};
        torch::Tensor ref = ganflow::layers::few_channel_transposed_conv(g, w, {2, 2}, {1, 1}, {1, 1}, out);
        torch::Tensor g_cl = g.contiguous(cl);
        REQUIRE_FALSE(g_cl.is_contiguous());
        torch::Tensor y = ganflow::layers::few_channel_transposed_conv(g_cl, ganflow::layers::channels_last_strided(w),
                                                                       {2, 2}, {1, 1}, {1, 1}, out);
        CHECK(y.is_contiguous(cl));
        CHECK(y.suggest_memory_format() == cl);  // the layout later layers read from the strides
        CHECK(torch::equal(y, ref));
        ++checked;
      }
  CHECK(checked == 8);
}

TEST_CASE("few_channel_transposed_conv refuses a geometry it cannot index, before reading memory", "[layers]") {
  torch::Tensor g = torch::randn({1, 16, 4, 4}), w = torch::randn({16, 1, 4, 4});
  using ganflow::layers::few_channel_transposed_conv;
  CHECK_NOTHROW(few_channel_transposed_conv(g, w, {2, 2}, {1, 1}, {1, 1}, {8, 8}));
  CHECK_THROWS_WITH(few_channel_transposed_conv(g, w, {2}, {1, 1}, {1, 1}, {8, 8}), Catch::Contains("2 values each"));
  CHECK_THROWS_WITH(few_channel_transposed_conv(g, w, {0, 2}, {1, 1}, {1, 1}, {8, 8}), Catch::Contains("must be positive"));
  CHECK_THROWS_WITH(few_channel_transposed_conv(g, w, {2, 2}, {1, 1}, {1, 1}, {8, -1}), Catch::Contains("out_size positive"));
}

TEST_CASE("few_channel_transposed_conv is a convolution's input gradient, unused input rows included", "[layers]") {
  // 4 windows of 4 rows at stride 2 cover rows 0-9 of 11: the last row's and column's gradient is 0.
  torch::Tensor x = torch::randn({2, 3, 11, 11}), w = torch::randn({16, 3, 4, 4});
  torch::Tensor gy = torch::randn({2, 16, 4, 4});
  torch::Tensor ref = std::get<0>(at::convolution_backward(gy, x, w, c10::nullopt, {2, 2}, {0, 0}, {1, 1}, false,
                                                           {0, 0}, 1, {true, false, false}));
  torch::Tensor gx = ganflow::layers::few_channel_transposed_conv(gy, w, {2, 2}, {0, 0}, {1, 1}, {11, 11});
  CHECK(torch::allclose(gx, ref, 1e-4, 1e-4));
  CHECK(gx.select(2, 10).abs().max().item<float>() == 0.f);
  CHECK(gx.select(3, 10).abs().max().item<float>() == 0.f);
  CHECK(gx.select(2, 9).abs().max().item<float>() > 0.f);
}

TEST_CASE("few_channel_transposed_conv applies to few-channel float or bf16 NCHW tensors with AVX-512 kernels",
          "[layers]") {
  using ganflow::layers::ConvIsa;
  using ganflow::layers::few_channel_transposed_conv_applies;
  using ganflow::layers::kFewChannelsBf16;
  torch::Tensor g = torch::randn({2, 8, 6, 6});
  torch::Tensor w4 = torch::randn({8, ganflow::layers::kFewChannels, 4, 4}), w5 = torch::randn({8, 5, 4, 4});
  const auto bf16 = torch::kBFloat16;
  torch::Tensor bf_g = g.to(bf16), bf_w = torch::randn({8, kFewChannelsBf16, 4, 4}).to(bf16);
  torch::Tensor bf_past = torch::randn({8, kFewChannelsBf16 + 1, 4, 4}).to(bf16);
  {
    gantest::ConvIsaScope avx512(ConvIsa::avx512);
    CHECK(few_channel_transposed_conv_applies(g, w4));
    CHECK_FALSE(few_channel_transposed_conv_applies(g, w5));
    CHECK(few_channel_transposed_conv_applies(bf_g, bf_w));
    CHECK_FALSE(few_channel_transposed_conv_applies(bf_g, bf_past));
    CHECK_FALSE(few_channel_transposed_conv_applies(bf_g, w4));  // dtypes differ
    CHECK_FALSE(few_channel_transposed_conv_applies(g.to(torch::kDouble), w4.to(torch::kDouble)));
    CHECK(few_channel_transposed_conv_applies(g.contiguous(torch::MemoryFormat::ChannelsLast), w4));
    CHECK_FALSE(few_channel_transposed_conv_applies(g.narrow(3, 0, 5), w4));
    CHECK_FALSE(few_channel_transposed_conv_applies(g.narrow(1, 0, 7), w4));  // channels differ
  }
  gantest::ConvIsaScope avx2(ConvIsa::avx2_or_less);  // oneDNN's AVX2 kernels are as fast here
  CHECK_FALSE(few_channel_transposed_conv_applies(g, w4));
  CHECK_FALSE(few_channel_transposed_conv_applies(bf_g, bf_w));
}
