// The SDK's state-dict files (ganflow/state_dict.hpp) and unit-range conversion
// (ganflow/unit_range.hpp): what every stage and plugin saves, loads and converts with.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "ganflow/error.hpp"
#include "ganflow/state_dict.hpp"
#include "ganflow/unit_range.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace ganflow;

namespace {
torch::nn::Sequential linear_bn() {
  torch::nn::Sequential m(torch::nn::Linear(3, 2), torch::nn::BatchNorm1d(2));
  torch::NoGradGuard ng;
  m[0]->named_parameters()["bias"].copy_(torch::tensor({0.5f, -0.25f}));
  m[1]->named_buffers()["running_mean"].fill_(0.125);
  return m;
}
}  // namespace

TEST_CASE("state-dict files round-trip through torch.save / torch.load in Python", "[sdk][python]") {
  std::string dir = test::scratch_dir("state_dict_interop");
  auto m = linear_bn();
  save_state_dict_file(*m, dir + "/sub/m.pt");  // the folder is created
  CHECK_FALSE(fs::exists(dir + "/sub/m.pt.tmp"));
  auto r = test::run_python("check_state_dict_file.py", {dir + "/sub/m.pt", dir + "/doubled.pt"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  auto fresh = torch::nn::Sequential(torch::nn::Linear(3, 2), torch::nn::BatchNorm1d(2));
  load_state_dict(*fresh, load_state_dict_file(dir + "/doubled.pt"), "doubled.pt");
  StateDict want = state_dict(*m), got = state_dict(*fresh);
  REQUIRE(got.size() == want.size());
  for (const auto& e : want) CHECK(torch::equal(got.at(e.key()), e.value() * 2));
}

TEST_CASE("state-dict loading names the file and param for a missing entry, a wrong shape or a wrong file", "[sdk]") {
  std::string dir = test::scratch_dir("state_dict_errors");
  auto m = linear_bn();
  StateDict partial = state_dict(*m);
  REQUIRE(partial.erase("1.running_var") == 1);
  CHECK_THROWS_WITH(load_state_dict(*m, partial, "w.pt", "weights"),
                    Catch::Contains("w.pt") && Catch::Contains("'1.running_var'"));
  try {
    load_state_dict(*m, partial, "w.pt", "weights");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.param() == "weights");
  }

  StateDict wrong = state_dict(*m);
  wrong.insert_or_assign("0.weight", torch::zeros({4, 3}));
  CHECK_THROWS_WITH(load_state_dict(*m, wrong, "w.pt"), Catch::Contains("'0.weight' has shape [4, 3]"));

  save_pickle(c10::IValue(int64_t(3)), dir + "/int.pt");
  CHECK_THROWS_WITH(load_state_dict_file(dir + "/int.pt", "weights"), Catch::Contains("does not hold a state dict"));
  std::ofstream(dir + "/junk.pt") << "not a pickle";
  CHECK_THROWS_WITH(load_state_dict_file(dir + "/junk.pt"), Catch::Contains("junk.pt") && Catch::Contains("corrupt"));
  CHECK_THROWS_WITH(load_state_dict_file(dir + "/none.pt"), Catch::Contains("none.pt") && Catch::Contains("cannot open"));
}

TEST_CASE("unit range: every pixel value survives the round trip, and values are clamped and rounded", "[sdk]") {
  torch::Tensor pixels = torch::arange(256, torch::kInt).to(torch::kUInt8);
  torch::Tensor unit = unit_from_pixels(pixels);
  CHECK(unit.scalar_type() == torch::kFloat);
  CHECK(unit[0].item<float>() == -1.0f);
  CHECK(unit[255].item<float>() == 1.0f);
  CHECK(torch::equal(pixels_from_unit(unit), pixels));
  CHECK_FALSE(unit.data_ptr() == pixels.data_ptr());

  // -2 and 3 are clamped; 0.002 is 127.755 -> 128; -0.999 is 0.1275 -> 0.
  torch::Tensor x = torch::tensor({-2.0f, 3.0f, 0.002f, -0.999f});
  CHECK(torch::equal(pixels_from_unit(x), torch::tensor({0, 255, 128, 0}).to(torch::kUInt8)));

  Image img = image_from_unit(torch::tensor({-1.0f, 1.0f, 0.0f, 0.5f}).view({1, 2, 2}));
  CHECK((img.channels == 1 && img.height == 2 && img.width == 2));
  CHECK(img.data == std::vector<uint8_t>{0, 255, 128, 191});
  CHECK_THROWS_AS(image_from_unit(torch::zeros({2, 2, 2})), Error);
}

TEST_CASE("unit range: the one-pass CPU conversion is bit-equal to LibTorch's tensor ops, contiguous or not", "[sdk]") {
  // Every pixel value, repeated past one parallel chunk (65536 values) so both threads convert.
  torch::Tensor pixels = torch::arange(256, torch::kInt).to(torch::kUInt8).repeat({3, 1, 200}).view({3, 200, 256});
  const torch::Tensor want = pixels.to(torch::kFloat).div_(127.5).sub_(1.0);
  CHECK(torch::equal(unit_from_pixels(pixels), want));
  torch::Tensor out = torch::full(pixels.sizes(), 7.0f);
  CHECK(torch::equal(unit_from_pixels_into(out, pixels), want));
  CHECK(torch::equal(out, want));
  // Strided input and output take the tensor ops, to the same values.
  torch::Tensor t = pixels.transpose(1, 2);
  torch::Tensor t_out = torch::zeros({3, 200, 256}).transpose(1, 2);
  CHECK_FALSE(t.is_contiguous());
  CHECK(torch::equal(unit_from_pixels(t), want.transpose(1, 2)));
  CHECK(torch::equal(unit_from_pixels_into(t_out, t), want.transpose(1, 2)));
  torch::Tensor wrong = torch::zeros({3, 200, 255});
  CHECK_THROWS_WITH(unit_from_pixels_into(wrong, pixels), Catch::Contains("shape"));
}
