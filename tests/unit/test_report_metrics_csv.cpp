// metrics.csv: the wide table built from metrics.jsonl's epoch records.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

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
  ganflow::write_metrics_csv(dir + "/metrics.jsonl", dir + "/metrics.csv");
  std::ifstream in(dir + "/metrics.csv");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() ==
        "stage,epoch,fd,gen_loss,note,time,train_loss,valid_loss\n"
        "pretrain,0,,,,1.5,0.5,0.25\n"
        "gan,0,12.5,,\"a, \"\"b\"\"\",,1.0,\n"
        "gan,1,,2.0,,,0.5,\n");
  CHECK_FALSE(std::filesystem::exists(dir + "/metrics.csv.tmp"));
}
