// TensorBoard: the events file a `tensorboard: true` stage writes, read back by
// tests/python/check_tensorboard.py through the protobuf library and an independent CRC-32C.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <limits>

#include <filesystem>
#include <fstream>

#include "gan_harness.hpp"
#include "ganflow/framework/report/tensorboard_writer.hpp"
#include "test_support.hpp"

TEST_CASE("CRC-32C gives the Castagnoli check values", "[report]") {
  CHECK(ganflow::crc32c("123456789") == 0xe3069283u);  // the CRC catalogue's check value
  CHECK(ganflow::crc32c("") == 0u);
  CHECK(ganflow::crc32c(std::string(32, '\0')) == 0x8a9136aau);  // RFC 3720 B.4: 32 bytes of zeros
}

TEST_CASE("a histogram leaves out NaN and inf, and widens a constant tensor's range by 0.5 each way", "[report]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  ganflow::Histogram h = ganflow::histogram_of(torch::tensor({1.0f, nan, 3.0f, inf, -inf, 2.0f}), 4);
  CHECK(h.num == 3);
  CHECK(h.min == 1);
  CHECK(h.max == 3);
  CHECK(h.sum == 6);
  CHECK(h.sum_squares == 14);
  CHECK(h.limits == std::vector<double>{1, 1.5, 2, 2.5, 3});
  CHECK(h.counts == std::vector<double>{0, 1, 0, 1, 1});  // 2 opens the third bin; 3, the maximum, is in the last
  ganflow::Histogram c = ganflow::histogram_of(torch::full({5}, 0.25f), 2);
  CHECK(c.limits == std::vector<double>{-0.25, 0.25, 0.75});
  CHECK(c.counts == std::vector<double>{0, 0, 5});
  CHECK(ganflow::histogram_of(torch::tensor({nan}), 4).counts.empty());  // no finite value: no histogram written
}

TEST_CASE("a tensorboard stage's events file holds every step and epoch value, sample grid and weight histogram as TensorBoard reads them",
          "[report]") {
  gantest::TempDir dir("tensorboard");
  const std::string run = dir.str() + "/run";
  const auto g = gantest::tiny_dcgan({"tensorboard"}, {{"epochs", 2}, {"max_batches", 6}, {"log_every", 2},
                                                       {"checkpoint_every", 0}, {"tensorboard", true}});
  gantest::run_graph(g.dump(), run);
  int files = 0;
  for (auto& f : std::filesystem::directory_iterator(run))
    if (f.path().filename().string().rfind("events.out.tfevents.", 0) == 0) ++files;
  CHECK(files == 1);
  auto py = ganflow::test::run_python("check_tensorboard.py", {run, "train"});
  INFO(py.output);
  CHECK(py.exit_code == 0);
  CHECK_THAT(py.output, Catch::Contains("OK"));
}

TEST_CASE("without tensorboard a run writes no events file", "[report]") {
  gantest::TempDir dir("no_tensorboard");
  const std::string run = dir.str() + "/run";
  gantest::run_graph(gantest::tiny_dcgan({"no_tensorboard"}, {{"epochs", 1}, {"max_batches", 2}, {"checkpoint_every", 0}}).dump(),
                     run);
  int files = 0;
  for (auto& f : std::filesystem::directory_iterator(run))
    if (f.path().filename().string().find("tfevents") != std::string::npos) ++files;
  CHECK(std::filesystem::exists(run + "/metrics.jsonl"));
  CHECK(files == 0);
}
