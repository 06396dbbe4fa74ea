// basic_generator / basic_critic against fastai's definitions in PyTorch (tests/python/check_models.py):
// same weights and input, train-mode output, gradients, BatchNorm running stats, eval-mode output
// (the training forward runs each BatchNorm fused with its activation).
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "ganflow/layers/batch_norm.hpp"
#include "ganflow/model.hpp"
#include "test_support.hpp"

using namespace ganflow;
using namespace ganflow::test;

namespace {
// Builds `type` with `params`, runs it on `x` and lets PyTorch repeat everything from the same state.
void check_against_pytorch(const std::string& type, const std::string& params, const std::string& py_config,
                           const torch::Tensor& x) {
  auto model = build_one<Model>(type, params);
  auto& m = model->module();
  auto t = record_train_then_eval(m, [&](const torch::Tensor& in) { return model->forward(in); }, x);
  // What PyTorch checks is the fused BatchNorm + activation (batch_norm_act.cpp): every BatchNorm ran in it.
  int batch_norms = 0;
  for (const auto& sub : m.modules())
    batch_norms += std::dynamic_pointer_cast<ganflow::layers::SyncableBatchNorm2dImpl>(sub) != nullptr;
  CHECK(batch_norms > 0);
  CHECK(graph_node_count(t.at("output"), "BatchNormAct") == batch_norms);
  std::string file = scratch_dir("models") + "/tensors.pt";
  save_tensors(file, t);
  auto r = run_python("check_models.py", {file, py_config});
  INFO(type << " " << params << "\n" << r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("OK"));
}
}  // namespace

TEST_CASE("basic_generator matches fastai in PyTorch, both block orders, one extra layer", "[models][pytorch]") {
  torch::manual_seed(11);
  SECTION("v1: conv -> ReLU -> BN, noise [bs, nz, 1, 1]") {
    check_against_pytorch("basic_generator",
                          R"({"out_size": 16, "n_channels": 3, "noise_sz": 20, "n_features": 8, "n_extra_layers": 1, "block_order": "v1"})",
                          R"({"model": "basic_generator", "out_size": 16, "n_channels": 3, "noise_sz": 20, "n_features": 8, "n_extra_layers": 1, "order": "v1"})",
                          torch::randn({4, 20, 1, 1}));
  }
  SECTION("v2: AddChannels, conv -> BN -> ReLU, noise [bs, nz]") {
    check_against_pytorch("basic_generator",
                          R"({"out_size": 16, "n_channels": 3, "noise_sz": 20, "n_features": 8, "n_extra_layers": 1, "block_order": "v2"})",
                          R"({"model": "basic_generator", "out_size": 16, "n_channels": 3, "noise_sz": 20, "n_features": 8, "n_extra_layers": 1, "order": "v2"})",
                          torch::randn({4, 20}));
  }
}

TEST_CASE("basic_critic matches fastai in PyTorch, both block orders and outputs", "[models][pytorch]") {
  torch::manual_seed(12);
  auto x = torch::randn({4, 3, 16, 16});
  SECTION("v1, one extra layer, LeakyReLU 0.2, batch_mean (AvgFlatten)") {
    check_against_pytorch("basic_critic",
                          R"({"in_size": 16, "n_channels": 3, "n_features": 8, "n_extra_layers": 1, "block_order": "v1", "output": "batch_mean"})",
                          R"({"model": "basic_critic", "in_size": 16, "n_channels": 3, "n_features": 8, "n_extra_layers": 1, "order": "v1", "output": "batch_mean"})",
                          x);
  }
  SECTION("v2, one extra layer, LeakyReLU 0.2, flatten") {
    check_against_pytorch("basic_critic",
                          R"({"in_size": 16, "n_channels": 3, "n_features": 8, "n_extra_layers": 1, "block_order": "v2"})",
                          R"({"model": "basic_critic", "in_size": 16, "n_channels": 3, "n_features": 8, "n_extra_layers": 1, "order": "v2"})",
                          x);
  }
  SECTION("v1 without extra layers (fastai's empty Sequential) and ReLU") {
    check_against_pytorch("basic_critic",
                          R"({"in_size": 16, "n_channels": 3, "n_features": 8, "act": "relu", "block_order": "v1"})",
                          R"({"model": "basic_critic", "in_size": 16, "n_channels": 3, "n_features": 8, "act": "relu", "order": "v1"})",
                          x);
  }
  SECTION("v2 with another LeakyReLU slope") {
    check_against_pytorch("basic_critic",
                          R"({"in_size": 16, "n_channels": 3, "n_features": 8, "slope": 0.1, "n_extra_layers": 2})",
                          R"({"model": "basic_critic", "in_size": 16, "n_channels": 3, "n_features": 8, "slope": 0.1, "n_extra_layers": 2, "order": "v2"})",
                          x);
  }
}
