// cuda_graphs (a training stage's param): when a stage's steps may be captured, the CPU run it
// leaves alone, and on a GPU ([cuda]: skipped without one) replays that train as the eager
// steps do, a lazy penalty's two critic variants included.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <fstream>

#include "ganflow/framework/train/cuda_graph_steps.hpp"
#include "ganflow/model.hpp"
#include "gan_harness.hpp"
#include "test_support.hpp"

using ganflow::json;

namespace {
// A tiny DCGAN whose critic loss is wrapped in an r1 penalty on every second critic batch.
json lazy_r1_gan(const json& train, const std::string& device) {
  json g = gantest::tiny_dcgan({"graphs", 5, 1024, 32},
                               {{"epochs", 1}, {"switch_eval", false}, {"show_img", false}, {"checkpoint_every", 0},
                                {"log_every", 1}});
  g["device"] = device;
  g["nodes"]["noise"]["params"]["draw_on"] = "cpu";  // the same noise whichever device trains
  g["nodes"]["r1"] = {{"type", "r1"}, {"params", {{"gamma", 1.0}, {"every", 2}}}, {"inputs", {{"base", "crit_loss"}}}};
  g["nodes"]["train"]["inputs"]["crit_loss"] = "r1";
  g["nodes"]["train"]["params"].update(train);
  return g;
}

// Each step record's value of `key` (with beta 0 the step's own loss or scores, not a smoothing).
std::vector<double> recorded(const std::string& dir, const std::string& key) {
  std::vector<double> out;
  for (const json& r : gantest::run_records(dir, "step")) out.push_back(r[key].is_null() ? NAN : r[key].get<double>());
  return out;
}

// cuDNN runs fp32 convolutions in TF32 by default on Ampere and later: off while runs compare.
struct NoTf32 {
  bool before = at::globalContext().allowTF32CuDNN();
  NoTf32() { at::globalContext().setAllowTF32CuDNN(false); }
  ~NoTf32() { at::globalContext().setAllowTF32CuDNN(before); }
};

int64_t occurrences(const std::string& text, const std::string& what) {
  int64_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("cuda_graphs refuses what a replay would get wrong, and names it", "[graphs]") {
  using ganflow::cuda_graphs_refusal;
  using ganflow::GraphConditions;
  CHECK(cuda_graphs_refusal({true, false, false, ""}).empty());
  CHECK_THAT(cuda_graphs_refusal({false, false, false, ""}), Catch::Contains("only GAN stages"));
  CHECK_THAT(cuda_graphs_refusal({true, true, false, ""}), Catch::Contains("fp16"));
  CHECK_THAT(cuda_graphs_refusal({true, false, true, ""}), Catch::Contains("data-parallel"));
  CHECK_THAT(cuda_graphs_refusal({true, false, false, "ada"}), Catch::Contains("'ada'"));
}

TEST_CASE("cuda_graphs on the CPU is logged as off and trains exactly as without it", "[graphs][gan]") {
  gantest::TempDir on("graphs_cpu_on"), off("graphs_cpu_off");
  gantest::run_graph(lazy_r1_gan({{"max_batches", 6}, {"cuda_graphs", true}}, "cpu").dump(), on.str(),
                     torch::Device(torch::kCPU));
  gantest::run_graph(lazy_r1_gan({{"max_batches", 6}, {"cuda_graphs", false}}, "cpu").dump(), off.str(),
                     torch::Device(torch::kCPU));
  CHECK_THAT(gantest::read_text(on.str() + "/log.txt"), Catch::Contains("train: cuda_graphs: off on cpu"));
  CHECK_THAT(gantest::read_text(off.str() + "/log.txt"), !Catch::Contains("cuda_graphs"));
  const auto a = recorded(on.str(), "train_loss"), b = recorded(off.str(), "train_loss");
  REQUIRE(a.size() == 6);
  CHECK(a == b);
}

TEST_CASE("CUDA: cuda_graphs replays train as the eager steps do, lazy R1 included", "[cuda][gan][graphs]") {
  if (!ganflow::test::have_cuda()) return;
  const torch::Device cuda(torch::kCUDA, 0);
  // 20 batches 1:1: the generator warms up 3 eager steps and replays 7; the critic's two variants
  // (r1 on even critic steps, not on odd) 3 eager each and 2 replays each. Beta 0: each step
  // record holds that step's own loss and scores.
  gantest::TempDir on("graphs_cuda_on"), off("graphs_cuda_off");
  const json train = {{"max_batches", 20}, {"beta", 0.0}};
  ganflow::BuiltGraph a_built, b_built;
  {
    NoTf32 fp32;
    json with = train, without = train;
    with["cuda_graphs"] = true;
    a_built = gantest::run_graph(lazy_r1_gan(with, "cuda").dump(), on.str(), cuda);
    b_built = gantest::run_graph(lazy_r1_gan(without, "cuda").dump(), off.str(), cuda);
  }
  CHECK(occurrences(gantest::read_text(on.str() + "/log.txt"), "cuda_graphs: captured the step") == 3);
  CHECK(occurrences(gantest::read_text(off.str() + "/log.txt"), "cuda_graphs") == 0);
  int compared = 0;
  for (const char* key : {"train_loss", "real_score", "fake_score"}) {
    const auto a = recorded(on.str(), key), b = recorded(off.str(), key);
    REQUIRE(a.size() == 20);
    REQUIRE(b.size() == 20);
    for (size_t i = 0; i < a.size(); ++i) {
      INFO(key << " at step " << i + 1);
      CHECK(a[i] == Approx(b[i]).epsilon(1e-3).margin(1e-5));
      ++compared;
    }
  }
  CHECK(compared == 60);
  for (const char* net : {"generator", "critic"}) {
    INFO(net);
    const auto pa = dynamic_cast<ganflow::Model&>(*a_built.nodes.at(net)).module().parameters();
    const auto pb = dynamic_cast<ganflow::Model&>(*b_built.nodes.at(net)).module().parameters();
    REQUIRE(pa.size() == pb.size());
    REQUIRE_FALSE(pa.empty());
    for (size_t i = 0; i < pa.size(); ++i) CHECK(torch::allclose(pa[i].cpu(), pb[i].cpu(), 1e-3, 1e-4));
  }
}

TEST_CASE("CUDA: cuda_graphs with fp16 is a one-line error naming the stage and param", "[cuda][graphs]") {
  if (!ganflow::test::have_cuda()) return;
  gantest::TempDir dir("graphs_cuda_fp16");
  CHECK_THROWS_WITH(gantest::run_graph(lazy_r1_gan({{"max_batches", 2}, {"cuda_graphs", true}, {"precision", "fp16"}}, "cuda").dump(),
                                       dir.str(), torch::Device(torch::kCUDA, 0)),
                    Catch::Contains("train") && Catch::Contains("cuda_graphs") && Catch::Contains("fp16"));
}
