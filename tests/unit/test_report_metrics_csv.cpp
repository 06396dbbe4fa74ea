// metrics.csv: the wide table built from metrics.jsonl's epoch records.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "ganflow/framework/report/metrics_csv.hpp"
#include "gan_harness.hpp"

TEST_CASE("metrics.csv has one row per stage epoch and one column per value", "[report]") {
  std::string dir = gantest::temp_dir("metrics_csv");
  std::ofstream(dir + "/metrics.jsonl")
      << R"({"kind":"epoch","stage":"pretrain","epoch":0,"train_loss":0.5,"valid_loss":0.25,"time":1.5})" "\n"
      << R"({"kind":"step","stage":"gan","step":50,"train_loss":9.0})" "\n"
      << R"({"kind":"epoch","stage":"gan","epoch":0,"train_loss":1.0,"fd":12.5,"note":"a, \"b\""})" "\n"
      << R"({"kind":"epoch","stage":"gan","epoch":1,"train_loss":0.75,"gen_loss":null})" "\n"
      // a resumed run wrote epoch 1 again: the last record wins, in the first one's place
      << R"({"kind":"epoch","stage":"gan","epoch":1,"train_loss":0.5,"gen_loss":2.0})" "\n"
      << R"({"kind":"epo)";  // torn by a kill mid-write
  ganflow::MetricsCsv(dir + "/metrics.jsonl", dir + "/metrics.csv").write();
  CHECK(gantest::read_text(dir + "/metrics.csv") ==
        "stage,epoch,fd,gen_loss,note,time,train_loss,valid_loss\n"
        "pretrain,0,,,,1.5,0.5,0.25\n"
        "gan,0,12.5,,\"a, \"\"b\"\"\",,1.0,\n"
        "gan,1,,2.0,,,0.5,\n");
  CHECK_FALSE(std::filesystem::exists(dir + "/metrics.csv.tmp"));
}

TEST_CASE("metrics.csv grows from memory as it would be rebuilt from metrics.jsonl", "[report]") {
  std::string dir = gantest::temp_dir("metrics_csv_add");
  const std::string jsonl = dir + "/metrics.jsonl";
  std::ofstream(jsonl) << R"({"kind":"epoch","stage":"pretrain","epoch":0,"train_loss":0.5})" "\n"
                       << R"({"kind":"step","stage":"gan","step":3,"train_loss":9.0})" "\n";
  ganflow::MetricsCsv table(jsonl, dir + "/metrics.csv");
  // Each record as the Reporter adds it, and as it writes it to the jsonl.
  const std::vector<ganflow::json> records = {
      {{"kind", "epoch"}, {"stage", "gan"}, {"epoch", 0}, {"train_loss", 1.25}, {"fd", std::nan("")}},
      {{"kind", "epoch"}, {"stage", "gan"}, {"epoch", 1}, {"train_loss", 0.75}, {"note", "x,y"}},
      {{"kind", "epoch"}, {"stage", "gan"}, {"epoch", 0}, {"train_loss", 1.0}, {"rss_mb", 12}}};  // resumed: replaces
  int added = 0;
  for (const auto& r : records) {
    std::ofstream(jsonl, std::ios::app) << r.dump() << "\n";
    table.add(r);
    ++added;
    ganflow::MetricsCsv(jsonl, dir + "/rebuilt.csv").write();
    INFO("after record " << added);
    CHECK(gantest::read_text(dir + "/metrics.csv") == gantest::read_text(dir + "/rebuilt.csv"));
  }
  CHECK(added == 3);
  CHECK(gantest::read_text(dir + "/metrics.csv") ==
        "stage,epoch,fd,note,rss_mb,train_loss\n"
        "pretrain,0,,,,0.5\n"
        "gan,0,,,12,1.0\n"
        "gan,1,,\"x,y\",,0.75\n");
}

TEST_CASE("metrics.csv on a full disk: one Error naming the file and the cause, the last table kept", "[report]") {
  std::string dir = gantest::temp_dir("metrics_csv_full");
  const std::string jsonl = dir + "/metrics.jsonl", csv = dir + "/metrics.csv";
  std::ofstream(jsonl) << R"({"kind":"epoch","stage":"gan","epoch":0,"train_loss":0.5})" "\n";
  ganflow::MetricsCsv table(jsonl, csv);
  table.write();
  const std::string before = gantest::read_text(csv);
  REQUIRE(before == "stage,epoch,train_loss\ngan,0,0.5\n");
  // The table's next version is written beside it first: there, a full disk (/dev/full).
  REQUIRE(std::filesystem::exists("/dev/full"));
  std::filesystem::create_symlink("/dev/full", csv + ".tmp");
  std::string error = "no error";
  try {
    table.add({{"kind", "epoch"}, {"stage", "gan"}, {"epoch", 1}, {"train_loss", 0.25}});
  } catch (const ganflow::Error& e) {
    error = e.what();
  }
  CHECK_THAT(error, Catch::Contains(csv + ".tmp") && Catch::Contains("No space left on device"));
  CHECK(gantest::read_text(csv) == before);
  CHECK(std::filesystem::exists("/dev/full"));  // a device is never removed as a partial file
  int files = 0;  // nothing else left beside the table: the jsonl, the table and the link
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += !e.is_directory();
  CHECK(files == 3);
}
