// Checkpoints, exact resume after SIGKILL, SIGINT, corrupt and mismatching checkpoints,
// and `ganflow generate`, all through the real `ganflow` program.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "ganflow/framework/train/checkpoint.hpp"
#include "gan_harness.hpp"
#include "test_support.hpp"
#include "ganflow/image_io.hpp"

namespace fs = std::filesystem;
using ganflow::json;

namespace {

const std::string kGanflow = std::string(GANFLOW_BINARY_DIR) + "/bin/ganflow";

// A tiny deterministic DCGAN named `name`: 2 epochs x 8 batches, a checkpoint every 2 steps.
json resume_graph(const std::string& name) {
  json g = gantest::tiny_dcgan({name, 11, 256, 16, 16, 16, 2},
                               {{"epochs", 2}, {"max_batches", 8}, {"checkpoint_every", 2}, {"n_samples", 16}});
  g["deterministic"] = true;
  g["device"] = "cpu";
  return g;
}

// resume_graph("resume") in <dir>/graph_in.json; returns that path.
std::string write_graph(const std::string& dir) {
  std::string path = dir + "/graph_in.json";
  std::ofstream(path) << resume_graph("resume").dump(2);
  return path;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kGanflow.c_str()));
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kGanflow.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run(const std::vector<std::string>& args, const std::string& log) { return wait_exit(spawn(args, log)); }

// Starts `ganflow args` (writing into `out`) and signals it once the first checkpoint of
// `stage` is on disk; returns the exit code.
int run_and_signal(const std::vector<std::string>& args, const std::string& out, int sig, const std::string& stage) {
  pid_t pid = spawn(args, out + ".log");
  fs::path ckpt = fs::path(out) / "checkpoints" / (stage + "_last.pt");
  for (int i = 0; i < 120000 && !fs::exists(ckpt); ++i) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) FAIL("the run ended before its first checkpoint: " << gantest::read_text(out + ".log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill(pid, sig);
  return wait_exit(pid);
}
int run_and_signal(const std::string& graph, const std::string& out, int sig, const std::string& stage = "train") {
  return run_and_signal({"run", graph, "--out", out}, out, sig, stage);
}

// Runs graph `g` straight into <dir>/straight, then again into <dir>/killed SIGKILLed at the
// first checkpoint of `stage`, then resumes <dir>/killed; returns the resume's log.
std::string straight_killed_resumed(const json& g, const std::string& dir, const std::string& stage) {
  std::string graph = dir + "/graph_in.json";
  std::ofstream(graph) << g.dump(2);
  REQUIRE(run({"run", graph, "--out", dir + "/straight"}, dir + "/straight.log") == 0);
  REQUIRE(run_and_signal(graph, dir + "/killed", SIGKILL, stage) == 128 + SIGKILL);
  REQUIRE(run({"run", "--resume", dir + "/killed"}, dir + "/resumed.log") == 0);
  return gantest::read_text(dir + "/resumed.log");
}

void require_same_weights(const std::string& a, const std::string& b) {
  auto da = ganflow::load_pickle(a).toGenericDict(), db = ganflow::load_pickle(b).toGenericDict();
  REQUIRE(da.size() == db.size());
  for (auto& kv : da) {
    INFO(kv.key().toStringRef());
    CHECK(torch::equal(kv.value().toTensor(), db.at(kv.key()).toTensor()));
  }
}

}  // namespace

TEST_CASE("N steps straight equal N/2 steps + SIGKILL + resume, parameter for parameter", "[resume]") {
  std::string dir = gantest::temp_dir("resume_kill");
  std::string graph = write_graph(dir);
  REQUIRE(run({"run", graph, "--out", dir + "/straight"}, dir + "/straight.log") == 0);
  int code = run_and_signal(graph, dir + "/killed", SIGKILL);
  REQUIRE(code == 128 + SIGKILL);
  CHECK_FALSE(fs::exists(dir + "/killed/train_generator.pt"));
  REQUIRE(run({"run", "--resume", dir + "/killed"}, dir + "/resumed.log") == 0);
  INFO(gantest::read_text(dir + "/resumed.log"));
  CHECK_THAT(gantest::read_text(dir + "/resumed.log"), Catch::Contains("resumed from"));
  require_same_weights(dir + "/straight/train_generator.pt", dir + "/killed/train_generator.pt");
  require_same_weights(dir + "/straight/train_critic.pt", dir + "/killed/train_critic.pt");
}

TEST_CASE("a lazy r1 run SIGKILLed and resumed counts its critic batches on, ending bit-equal", "[resume]") {
  std::string dir = gantest::temp_dir("resume_lazy_r1");
  json g = resume_graph("resume_lazy_r1");
  // The penalty on critic batches 0, 3, 6, ...: a count restarted by the resume would move it.
  g["nodes"]["lazy_r1"] = {{"type", "r1"}, {"inputs", {{"base", "crit_loss"}}}, {"params", {{"gamma", 1.0}, {"every", 3}}}};
  g["nodes"]["train"]["inputs"]["crit_loss"] = "lazy_r1";
  const std::string log = straight_killed_resumed(g, dir, "train");
  INFO(log);
  CHECK_THAT(log, Catch::Contains("resumed from"));
  require_same_weights(dir + "/straight/train_generator.pt", dir + "/killed/train_generator.pt");
  require_same_weights(dir + "/straight/train_critic.pt", dir + "/killed/train_critic.pt");
}

TEST_CASE("a tensorboard stage SIGKILLed and resumed marks where it resumed, so TensorBoard drops the lost steps",
          "[resume][report]") {
  std::string dir = gantest::temp_dir("resume_tensorboard");
  json g = json::parse(gantest::read_text(write_graph(dir)));
  g["nodes"]["train"]["params"]["tensorboard"] = true;
  g["nodes"]["train"]["params"]["log_every"] = 1;  // records right up to the kill
  const std::string graph = dir + "/graph_tb.json";
  std::ofstream(graph) << g.dump(2);
  REQUIRE(run_and_signal(graph, dir + "/killed", SIGKILL) == 128 + SIGKILL);
  REQUIRE(run({"run", "--resume", dir + "/killed"}, dir + "/resumed.log") == 0);
  const std::string log = gantest::read_text(dir + "/resumed.log");
  INFO(log);
  const auto at = log.find("(step ");
  REQUIRE(at != std::string::npos);
  const std::string resumed_after = std::to_string(std::stoll(log.substr(at + 6)));
  auto py = ganflow::test::run_python("check_tensorboard.py", {dir + "/killed", "train", resumed_after});
  INFO(py.output);
  CHECK(py.exit_code == 0);
  CHECK_THAT(py.output, Catch::Contains("OK"));
}

TEST_CASE("SIGINT finishes the step, writes a checkpoint and exits 130, resume completes", "[resume]") {
  std::string dir = gantest::temp_dir("resume_int");
  std::string graph = write_graph(dir);
  int code = run_and_signal(graph, dir + "/run", SIGINT);
  INFO(gantest::read_text(dir + "/run.log"));
  REQUIRE(code == 130);
  CHECK_THAT(gantest::read_text(dir + "/run.log"), Catch::Contains("--resume"));
  REQUIRE(run({"run", "--resume", dir + "/run"}, dir + "/resumed.log") == 0);
  CHECK(fs::exists(dir + "/run/train_generator.pt"));
}

TEST_CASE("a corrupt checkpoint is a clear error and the previous one still resumes", "[resume]") {
  std::string dir = gantest::temp_dir("resume_corrupt");
  std::string graph = write_graph(dir);
  REQUIRE(run({"run", graph, "--out", dir + "/run", "--set", "train.epochs=1"}, dir + "/run.log") == 0);
  std::string last = dir + "/run/checkpoints/train_last.pt";
  REQUIRE(fs::exists(last + ".prev"));
  fs::resize_file(last, fs::file_size(last) / 2);  // truncated, as by a crash of another writer
  REQUIRE(run({"run", "--resume", dir + "/run"}, dir + "/bad.log") == 1);
  std::string err = gantest::read_text(dir + "/bad.log");
  CHECK_THAT(err, Catch::Contains("corrupt or truncated"));
  CHECK_THAT(err, Catch::Contains(".prev"));
  CHECK(run({"run", "--resume", last + ".prev"}, dir + "/prev.log") == 0);
}

TEST_CASE("resuming with a graph whose shapes differ names the first mismatching parameter", "[resume]") {
  std::string dir = gantest::temp_dir("resume_mismatch");
  std::string graph = write_graph(dir);
  REQUIRE(run({"run", graph, "--out", dir + "/run", "--set", "train.epochs=1"}, dir + "/run.log") == 0);
  int code = run({"run", "--resume", dir + "/run", "--set", "generator.n_features=32"}, dir + "/bad.log");
  CHECK(code == 1);
  CHECK_THAT(gantest::read_text(dir + "/bad.log"), Catch::Contains("train_last.pt [generator]: '"));
  CHECK_THAT(gantest::read_text(dir + "/bad.log"), Catch::Contains("has shape [16, 64, 4, 4], the model's is [16, 128, 4, 4]"));
}

TEST_CASE("ganflow generate writes a grid, per-image PNGs and a tensor Python can load", "[resume]") {
  std::string dir = gantest::temp_dir("generate");
  std::string graph = write_graph(dir);
  REQUIRE(run({"run", graph, "--out", dir + "/run", "--set", "train.epochs=1"}, dir + "/run.log") == 0);
  CHECK(fs::exists(dir + "/run/samples/epoch_000.png"));
  REQUIRE(run({"generate", dir + "/run", "--n", "9", "--out", dir + "/grid.png"}, dir + "/g1.log") == 0);
  CHECK(fs::file_size(dir + "/grid.png") > 100);
  REQUIRE(run({"generate", dir + "/run", "--n", "3", "--out", dir + "/imgs"}, dir + "/g2.log") == 0);
  REQUIRE(fs::exists(dir + "/imgs/00002.png"));
  ganflow::Image one = ganflow::load_image(dir + "/imgs/00002.png", 1);
  CHECK((one.height == 32 && one.width == 32));  // the image itself, no grid border
  REQUIRE(run({"generate", dir + "/run", "--n", "5", "--seed", "3", "--format", "pt", "--out", dir + "/x.pt"},
              dir + "/g3.log") == 0);
  std::string py = ganflow::test::shell_quote(ganflow::test::test_python()) + " -c \"import torch; t = torch.load('" + dir +
                   "/x.pt'); assert tuple(t.shape) == (5, 1, 32, 32), t.shape; assert t.abs().max() <= 1\"";
  CHECK(std::system(py.c_str()) == 0);
  // Python rebuilds the architecture, loads the saved weights and draws the same images.
  std::string interop = "cd " + std::string(GANFLOW_SOURCE_DIR) + "/tests/python && " +
                        ganflow::test::shell_quote(ganflow::test::test_python()) + " "
                        "check_generator_interop.py " + dir + "/run/train_generator.pt " + dir + "/x.pt 3 5 16";
  CHECK(std::system(interop.c_str()) == 0);
}

TEST_CASE("a loss that turns NaN stops the run naming stage and step, the last good checkpoint resumes", "[resume]") {
  std::string dir = gantest::temp_dir("nan_stop");
  // 16 batches, 1:1 switching from the critic: the critic's call 5 is batch 10, so the loss is
  // NaN from step 11. Checkpoints every 2 steps, the log check every 8: the checkpoint due at
  // step 12 finds the NaN first and must not replace the good one of step 10.
  json g = gantest::tiny_dcgan({"nan", 11, 256, 16, 16, 16, 1},
                               {{"epochs", 1}, {"max_batches", 16}, {"checkpoint_every", 2}, {"log_every", 8}});
  g["device"] = "cpu";
  g["nodes"]["crit_loss"] = {{"type", "nan_crit_loss"}, {"params", {{"nan_from", 5}}}};
  std::string graph = dir + "/graph_in.json";
  std::ofstream(graph) << g.dump(2);
  setenv("GANFLOW_PLUGIN_PATH", (std::string(GANFLOW_TEST_PLUGIN_DIR) + "/gf_test_nan").c_str(), 1);

  int code = run({"run", graph, "--out", dir + "/run"}, dir + "/nan.log");
  std::string log = gantest::read_text(dir + "/nan.log");
  INFO(log);
  CHECK(code == 1);
  CHECK_THAT(log, Catch::Contains("error: node 'train': the training loss is NaN at step 12; stopping"));
  auto d = ganflow::load_pickle(dir + "/run/checkpoints/train_last.pt").toGenericDict();
  CHECK(json::parse(d.at("meta").toStringRef())["step"].get<int64_t>() == 10);
  int64_t tensors = 0;
  for (const char* net : {"generator", "critic"})
    for (const auto& kv : ganflow::to_state_dict(d.at(net), net)) {
      CHECK(torch::isfinite(kv.value()).all().item<bool>());
      ++tensors;
    }
  CHECK(tensors > 0);

  // The saved state continues once the loss is fixed (here: never NaN).
  int resumed = run({"run", "--resume", dir + "/run", "--set", "crit_loss.nan_from=1000000"}, dir + "/resume.log");
  std::string rlog = gantest::read_text(dir + "/resume.log");
  INFO(rlog);
  CHECK(resumed == 0);
  CHECK_THAT(rlog, Catch::Contains("(step 10)") && Catch::Contains("16 steps"));
  unsetenv("GANFLOW_PLUGIN_PATH");
}

TEST_CASE("callback state is saved under the callback's node name, a renamed callback is named on resume", "[resume]") {
  std::string dir = gantest::temp_dir("callback_state");
  json g = gantest::tiny_dcgan({"cbstate", 11, 256, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 3}});
  g["device"] = "cpu";
  std::string graph = dir + "/graph_in.json";
  std::ofstream(graph) << g.dump(2);
  REQUIRE(run({"run", graph, "--out", dir + "/run"}, dir + "/run.log") == 0);
  auto d = ganflow::load_pickle(dir + "/run/checkpoints/train_last.pt").toGenericDict();
  json cbs = json::parse(d.at("meta").toStringRef())["callbacks"];
  INFO(cbs.dump());
  REQUIRE(cbs.is_object());
  REQUIRE(cbs.size() == 1);
  // 1:1 from the critic over 3 batches: C, G, C; the counters after the last batch are its state.
  CHECK(cbs.at("switcher").contains("n_c"));
  CHECK(cbs.at("switcher").contains("n_g"));

  json renamed = g;
  renamed["nodes"]["pacer"] = renamed["nodes"]["switcher"];
  renamed["nodes"].erase("switcher");
  renamed["nodes"]["train"]["inputs"]["switcher"] = "pacer";
  std::string graph2 = dir + "/renamed.json";
  std::ofstream(graph2) << renamed.dump(2);
  CHECK(run({"run", graph2, "--resume", dir + "/run", "--allow-changes"}, dir + "/resume.log") == 1);
  CHECK_THAT(gantest::read_text(dir + "/resume.log"), Catch::Contains("node 'train': checkpoint '"));
  CHECK_THAT(gantest::read_text(dir + "/resume.log"), Catch::Contains("has no state for callback 'pacer'"));
}

TEST_CASE("a checkpoint loads in PyTorch with weights_only=True, every entry as ganflow reads it", "[resume]") {
  std::string dir = gantest::temp_dir("checkpoint_weights_only");
  json g = gantest::tiny_dcgan({"ckpy", 11, 256, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 3}});
  g["device"] = "cpu";
  // A weight-average callback adds its own entry.
  g["nodes"]["ema"] = {{"type", "generator_ema"}, {"inputs", {{"generator", "generator"}}}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"ema"});
  std::string graph = dir + "/graph_in.json";
  std::ofstream(graph) << g.dump(2);
  REQUIRE(run({"run", graph, "--out", dir + "/run"}, dir + "/run.log") == 0);

  // What ganflow reads from the file: each entry's kind, element count and sum.
  const std::string ck = dir + "/run/checkpoints/train_last.pt";
  json manifest = json::object();
  for (const auto& item : ganflow::load_pickle(ck).toGenericDict()) {
    const std::string key = item.key().toStringRef();
    const c10::IValue& v = item.value();
    INFO(key);
    if (v.isString()) {
      manifest[key] = {{"kind", "str"}};
      continue;
    }
    std::vector<torch::Tensor> ts;
    if (v.isTensor())
      ts.push_back(v.toTensor());
    else
      for (const auto& kv : ganflow::to_state_dict(v, key)) ts.push_back(kv.value());
    int64_t n = 0;
    double sum = 0;
    for (const auto& t : ts) n += t.numel(), sum += t.to(torch::kDouble).sum().item<double>();
    manifest[key] = {{"kind", v.isTensor() ? "tensor" : "state"}, {"n", n}, {"sum", sum}};
  }
  INFO(manifest.dump());
  for (const char* key : {"meta", "generator", "critic", "opt_g", "opt_c", "rng", "average:ema"}) CHECK(manifest.contains(key));
  std::ofstream(dir + "/manifest.json") << manifest.dump();
  auto r = ganflow::test::run_python("check_checkpoint_file.py", {ck, dir + "/manifest.json"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

TEST_CASE("a full disk: one error line naming the file and the cause, no partial file, the last checkpoint intact and resumable", "[resume]") {
  // The run folder is on a small tmpfs of its own, so that the test can fill it: needs root.
  std::string dir = gantest::temp_dir("full_disk");
  const std::string disk = dir + "/disk";
  fs::create_directories(disk);
  if (::geteuid() != 0 || ::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=32m") != 0) {
    WARN("GANFLOW_TEST_SKIPPED: filling a disk needs a tmpfs of its own (root): " << std::strerror(errno));
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{disk};
  json g = gantest::tiny_dcgan({"full_disk", 11, 256, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 4}, {"show_img", false}});
  g["device"] = "cpu";
  std::string graph = dir + "/graph_in.json";
  std::ofstream(graph) << g.dump(2);
  const std::string run_dir = disk + "/run", last = run_dir + "/checkpoints/train_last.pt";
  REQUIRE(run({"run", graph, "--out", run_dir}, dir + "/first.log") == 0);
  const int64_t step = ganflow::Checkpoint::load(last).meta.at("step").get<int64_t>();

  const auto free_bytes = [&] {
    struct statvfs st {};
    return ::statvfs(disk.c_str(), &st) == 0 ? int64_t(st.f_bavail) * int64_t(st.f_frsize) : int64_t(-1);
  };
  // Appends to a filler file until at most `leave` bytes are free.
  const auto fill_to = [&](int64_t leave) {
    const int fd = ::open((disk + "/filler").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    REQUIRE(fd >= 0);
    std::vector<char> chunk(4096, 'x');
    bool written = true;
    while (written && free_bytes() > leave) written = ::write(fd, chunk.data(), chunk.size()) == ssize_t(chunk.size());
    ::close(fd);
    REQUIRE((written || errno == ENOSPC));
    REQUIRE(free_bytes() >= 0);
  };
  // The resumed run fails with one error line naming the place (`where`: the node or the run
  // folder), the file and the cause; it leaves no partial file, and the last checkpoint is the
  // first run's.
  const auto refused = [&](const std::string& name, const std::string& where, const std::string& file) {
    INFO("free bytes " << free_bytes() << ", checkpoint " << fs::file_size(last));
    CHECK(run({"run", "--resume", run_dir, "--set", "train.epochs=2"}, dir + "/" + name + ".log") == 1);
    const std::string log = gantest::read_text(dir + "/" + name + ".log");
    INFO(log);
    int errors = 0;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("error:", 0) == 0) {
        ++errors;
        CHECK_THAT(line, Catch::Contains(where) && Catch::Contains(file) && Catch::Contains("No space left on device"));
      }
    CHECK(errors == 1);
    int partial = 0;
    for (const auto& e : fs::recursive_directory_iterator(run_dir))
      partial += e.path().extension() == ".tmp" || e.path().extension() == ".next";
    CHECK(partial == 0);
    CHECK(ganflow::Checkpoint::load(last).meta.at("step").get<int64_t>() == step);
  };

  // Half a checkpoint free: the metrics still fit, the next checkpoint does not.
  fill_to(int64_t(fs::file_size(last)) / 2);
  refused("half_checkpoint", "node 'train'", last);
  // Nothing free: refused at the start, where the run checks its folder is writable.
  fill_to(0);
  refused("nothing_free", "output folder '" + run_dir + "': not writable", run_dir + "/.write_test");

  // With the space back, the same command continues from that checkpoint to the end.
  fs::remove(disk + "/filler");
  REQUIRE(run({"run", "--resume", run_dir, "--set", "train.epochs=2"}, dir + "/resumed.log") == 0);
  CHECK_THAT(gantest::read_text(dir + "/resumed.log"), Catch::Contains("(step " + std::to_string(step) + ")"));
  CHECK(ganflow::Checkpoint::load(last).meta.at("step").get<int64_t>() == 2 * step);
}

TEST_CASE("a learner stage resumes exactly, and a multi-stage graph resumes at the interrupted stage", "[resume]") {
  std::string dir = gantest::temp_dir("resume_learner");
  // A classifier pretrained by a learner stage (3 epochs of 4 batches), then the GAN after it.
  json g = gantest::tiny_dcgan({"resume_learner", 11, 256, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 4}});
  g["deterministic"] = true;
  g["device"] = "cpu";
  g["nodes"]["labelled"] = {{"type", "item_list"}, {"inputs", {{"x", "images"}}},
                            {"params", {{"bs", 32}, {"target", "label"}, {"threads", 1}}}};
  g["nodes"]["classifier"] = {{"type", "fmnist_classifier"}, {"params", {{"feature_dim", 8}}}};
  g["nodes"]["ce"] = {{"type", "cross_entropy"}};
  g["nodes"]["pre"] = {{"type", "learner"},
                       {"inputs", {{"data", "labelled"}, {"model", "classifier"}, {"loss", "ce"}}},
                       {"params", {{"epochs", 3}, {"max_batches", 4}}}};
  g["nodes"]["train"]["inputs"]["after"] = json::array({"pre"});
  std::string log = straight_killed_resumed(g, dir, "pre");
  INFO(log);
  CHECK_THAT(log, Catch::Contains("pre: resumed from " + dir + "/killed/checkpoints/pre_last.pt at epoch "));
  require_same_weights(dir + "/straight/pre_model.pt", dir + "/killed/pre_model.pt");
  require_same_weights(dir + "/straight/train_generator.pt", dir + "/killed/train_generator.pt");

  // Resuming the finished run: the learner's last checkpoint is at its end, so it trains nothing.
  REQUIRE(run({"run", "--resume", dir + "/straight"}, dir + "/again.log") == 0);
  CHECK_THAT(gantest::read_text(dir + "/again.log"), Catch::Contains("pre: resumed from") && Catch::Contains("at epoch 3, batch 0"));
  require_same_weights(dir + "/straight/pre_model.pt", dir + "/killed/pre_model.pt");
}

TEST_CASE("a learner killed mid-epoch resumes from its periodic checkpoint to bit-equal weights", "[resume]") {
  std::string dir = gantest::temp_dir("resume_learner_mid");
  json g = json::parse(R"({"name": "learner_mid", "seed": 4, "threads": 2, "deterministic": true, "device": "cpu",
    "nodes": {
      "images": {"type": "fashion_mnist", "params": {"size": 32, "limit": 512}},
      "labelled": {"type": "item_list", "inputs": {"x": "images"}, "params": {"bs": 32, "target": "label", "threads": 1}},
      "classifier": {"type": "fmnist_classifier", "params": {"feature_dim": 8}},
      "ce": {"type": "cross_entropy"},
      "pre": {"type": "learner", "inputs": {"data": "labelled", "model": "classifier", "loss": "ce"},
              "params": {"epochs": 1, "checkpoint_every": 2, "log_every": 4}}}})");
  std::string log = straight_killed_resumed(g, dir, "pre");
  INFO(log);
  // The periodic checkpoints lie inside the one epoch of 16 batches.
  CHECK_THAT(log, Catch::Contains("pre: resumed from") && Catch::Contains("at epoch 0, batch "));
  CHECK_THAT(log, !Catch::Contains("at epoch 0, batch 0 "));
  require_same_weights(dir + "/straight/pre_model.pt", dir + "/killed/pre_model.pt");
  // Learner step records, every log_every steps.
  int steps = 0;
  std::ifstream f(dir + "/straight/metrics.jsonl");
  for (std::string line; std::getline(f, line);) steps += json::parse(line).value("kind", "") == "step";
  CHECK(steps == 4);
}

TEST_CASE("generator_ema: a GAN killed mid-run resumes its average bit-equal, and generate draws with it unless --raw", "[resume]") {
  std::string dir = gantest::temp_dir("resume_ema");
  json g = resume_graph("resume_ema");
  g["nodes"]["ema"] = {{"type", "generator_ema"}, {"inputs", {{"generator", "generator"}}}, {"params", {{"half_life_kimg", 0.1}}}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"ema"});
  std::string log = straight_killed_resumed(g, dir, "train");
  INFO(log);
  CHECK_THAT(log, Catch::Contains("train: resumed from"));
  require_same_weights(dir + "/straight/train_generator_ema.pt", dir + "/killed/train_generator_ema.pt");
  require_same_weights(dir + "/straight/train_generator.pt", dir + "/killed/train_generator.pt");
  auto ck = ganflow::load_pickle(dir + "/straight/checkpoints/train_last.pt").toGenericDict();
  CHECK(ck.contains("average:ema"));
  CHECK_THAT(gantest::read_text(dir + "/straight/metrics.jsonl"), Catch::Contains("\"ema_beta\""));

  // The average is not the raw generator, and generate picks it by default.
  REQUIRE(run({"generate", dir + "/straight", "--n", "4", "--format", "pt", "--out", dir + "/ema.pt"}, dir + "/g1.log") == 0);
  REQUIRE(run({"generate", dir + "/straight", "--n", "4", "--format", "pt", "--out", dir + "/raw.pt", "--raw"},
              dir + "/g2.log") == 0);
  torch::Tensor ema = ganflow::load_pickle(dir + "/ema.pt").toTensor(), raw = ganflow::load_pickle(dir + "/raw.pt").toTensor();
  CHECK(ema.sizes() == raw.sizes());
  CHECK_FALSE(torch::equal(ema, raw));
  // Drawn from the EMA file itself: the same images as generate's default.
  REQUIRE(run({"generate", dir + "/straight/train_generator_ema.pt", "--n", "4", "--format", "pt", "--out", dir + "/file.pt"},
              dir + "/g3.log") == 0);
  CHECK(torch::equal(ganflow::load_pickle(dir + "/file.pt").toTensor(), ema));
  // Drawn from the final checkpoint: its average entry, or with --raw its generator entry.
  const std::string last = dir + "/straight/checkpoints/train_last.pt";
  REQUIRE(run({"generate", last, "--n", "4", "--format", "pt", "--out", dir + "/ck_ema.pt"}, dir + "/g4.log") == 0);
  REQUIRE(run({"generate", last, "--n", "4", "--format", "pt", "--out", dir + "/ck_raw.pt", "--raw"}, dir + "/g5.log") == 0);
  CHECK(torch::equal(ganflow::load_pickle(dir + "/ck_ema.pt").toTensor(), ema));
  CHECK(torch::equal(ganflow::load_pickle(dir + "/ck_raw.pt").toTensor(), raw));
}

TEST_CASE("ada, TTUR and a switch schedule resume bit-equal, and generate interpolates between seeds' own images", "[resume]") {
  std::string dir = gantest::temp_dir("resume_ada");
  json g = gantest::tiny_dcgan({"resume_ada", 11, 256, 16, 16, 16, 1},
                               {{"epochs", 2}, {"max_batches", 8}, {"checkpoint_every", 2}, {"n_samples", 16},
                                {"lr_gen", 1e-4}, {"lr_crit", 3e-4}});
  g["deterministic"] = true;
  g["device"] = "cpu";
  // An interval of 3 critic steps: the checkpoints every 2 steps fall inside intervals.
  // p starts at 0.5, so the augmentations' random draws shape the training being compared.
  g["nodes"]["ada"] = {{"type", "ada"}, {"params", {{"interval", 3}, {"speed_kimg", 1.0}, {"p_init", 0.5}}}};
  g["nodes"]["switcher"]["params"]["n_crit_schedule"] = {{2, 3}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"ada"});
  std::string log = straight_killed_resumed(g, dir, "train");
  INFO(log);
  CHECK_THAT(log, Catch::Contains("train: resumed from"));
  require_same_weights(dir + "/straight/train_generator.pt", dir + "/killed/train_generator.pt");
  require_same_weights(dir + "/straight/train_critic.pt", dir + "/killed/train_critic.pt");
  json straight = ganflow::Checkpoint::load(dir + "/straight/checkpoints/train_last.pt").meta["callbacks"];
  json killed = ganflow::Checkpoint::load(dir + "/killed/checkpoints/train_last.pt").meta["callbacks"];
  CHECK(straight == killed);
  CHECK(straight["ada"]["rt"].is_number());  // intervals completed
  CHECK(straight["switcher"]["gen_steps"].get<int>() > 0);
  std::string metrics = gantest::read_text(dir + "/straight/metrics.jsonl");
  CHECK_THAT(metrics, Catch::Contains("\"augment_p\""));
  CHECK_THAT(metrics, Catch::Contains("\"ada_rt\""));

  // The path's ends are the seeds' own images (--seed S --n 1); 5 images from 3 to 9.
  auto images = [&](const std::vector<std::string>& extra, const std::string& name) {
    std::vector<std::string> args = {"generate", dir + "/straight", "--format", "pt", "--out", dir + "/" + name + ".pt"};
    args.insert(args.end(), extra.begin(), extra.end());
    REQUIRE(run(args, dir + "/" + name + ".log") == 0);
    return ganflow::load_pickle(dir + "/" + name + ".pt").toTensor();
  };
  torch::Tensor path = images({"--interpolate", "5", "--seeds", "3,9"}, "path");
  REQUIRE(path.size(0) == 5);
  CHECK(torch::allclose(path[0], images({"--seed", "3", "--n", "1"}, "seed3")[0], 1e-5, 1e-5));
  CHECK(torch::allclose(path[4], images({"--seed", "9", "--n", "1"}, "seed9")[0], 1e-5, 1e-5));
  CHECK_FALSE(torch::allclose(path[2], path[0], 1e-3, 1e-3));
  torch::Tensor plain = images({"--seed", "3", "--n", "8"}, "plain");
  torch::Tensor truncated = images({"--seed", "3", "--n", "8", "--truncation", "0.5"}, "truncated");
  CHECK(truncated.sizes() == plain.sizes());
  CHECK_FALSE(torch::equal(truncated, plain));

  // Bad sampling options: a non-positive psi, fewer than two seeds.
  CHECK(run({"generate", dir + "/straight", "--out", dir + "/x.png", "--truncation", "0"}, dir + "/bad1.log") == 2);
  CHECK_THAT(gantest::read_text(dir + "/bad1.log"), Catch::Contains("--truncation"));
  CHECK(run({"generate", dir + "/straight", "--out", dir + "/x.png", "--interpolate", "4", "--seeds", "3"}, dir + "/bad2.log") != 0);
  CHECK_THAT(gantest::read_text(dir + "/bad2.log"), Catch::Contains("--interpolate needs --seeds with two or more seeds"));
}

TEST_CASE("resuming with a graph file that differs from the run's is refused, listing the changes", "[resume]") {
  std::string dir = gantest::temp_dir("resume_changes");
  std::string graph = write_graph(dir);  // 2 epochs of 8 batches
  REQUIRE(run({"run", graph, "--out", dir + "/run", "--set", "train.max_batches=4"}, dir + "/run.log") == 0);
  // The original file without the run's --set: training would silently change.
  CHECK(run({"run", graph, "--resume", dir + "/run"}, dir + "/refused.log") == 2);
  std::string refused = gantest::read_text(dir + "/refused.log");
  INFO(refused);
  CHECK_THAT(refused, Catch::Contains("error: --resume " + dir + "/run: " + graph + " differs from the run's graph.json"));
  CHECK_THAT(refused, Catch::Contains("error: /nodes/train/params/max_batches: 4 -> 8"));
  CHECK(run({"run", graph, "--resume", dir + "/run", "--allow-changes"}, dir + "/allowed.log") == 0);
  CHECK_THAT(gantest::read_text(dir + "/allowed.log"), Catch::Contains("warning: resuming with a change: /nodes/train/params/max_batches: 4 -> 8"));
  // --set on the run's own graph was asked for: logged, not refused.
  CHECK(run({"run", "--resume", dir + "/run", "--set", "train.log_every=7"}, dir + "/set.log") == 0);
  CHECK_THAT(gantest::read_text(dir + "/set.log"), Catch::Contains("warning: resuming with a change: /nodes/train/params/log_every: 50 -> 7"));
}

TEST_CASE("the superres graph killed in its second training stage resumes to bit-equal final weights", "[resume]") {
  std::string dir = gantest::temp_dir("resume_superres");
  // The shipped graph at small settings: pretrain G, save its predictions, pretrain C, GAN, evaluate.
  std::vector<std::string> small = {
      "--set", "device=cpu", "--set", "threads=2", "--set", "deterministic=true",
      "--set", "originals.limit=128", "--set", "pretrain_gen.epochs=2", "--set", "save_gen.limit=64",
      "--set", "pretrain_crit.epochs=3", "--set", "gan.epochs=1", "--set", "gan.max_batches=4",
      "--set", "test_originals.limit=16", "--set", "evaluate.limit=16", "--set", "evaluate.grid_rows=4"};
  auto args = [&](const std::string& out) {
    std::vector<std::string> a = {"run", std::string(GANFLOW_SOURCE_DIR) + "/graphs/superres_gan_fashion_mnist.json",
                                  "--out", out};
    a.insert(a.end(), small.begin(), small.end());
    return a;
  };
  REQUIRE(run(args(dir + "/straight"), dir + "/straight.log") == 0);

  REQUIRE(run_and_signal(args(dir + "/killed"), dir + "/killed", SIGKILL, "pretrain_crit") == 128 + SIGKILL);
  CHECK_FALSE(fs::exists(dir + "/killed/gan_generator.pt"));

  REQUIRE(run({"run", "--resume", dir + "/killed"}, dir + "/resumed.log") == 0);
  std::string log = gantest::read_text(dir + "/resumed.log");
  INFO(log);
  CHECK_THAT(log, Catch::Contains("pretrain_gen: resumed from") && Catch::Contains("at epoch 2, batch 0"));
  CHECK_THAT(log, Catch::Contains("pretrain_crit: resumed from"));
  for (const char* file : {"pretrain_gen_model.pt", "pretrain_crit_model.pt", "gan_generator.pt", "gan_critic.pt"}) {
    INFO(file);
    require_same_weights(dir + "/straight/" + file, dir + "/killed/" + file);
  }
}

TEST_CASE("a class-conditional GAN resumes bit-equal, and generate draws the classes asked for", "[resume][conditional]") {
  std::string dir = gantest::temp_dir("resume_conditional");
  json g = gantest::tiny_dcgan({"resume_conditional", 11, 256, 16, 16, 16, 1},
                               {{"epochs", 2}, {"max_batches", 8}, {"checkpoint_every", 2}, {"n_samples", 16}});
  g["deterministic"] = true;
  g["device"] = "cpu";
  for (const char* node : {"noise", "generator", "critic"}) g["nodes"][node]["params"]["n_classes"] = 10;
  g["nodes"]["critic"]["params"]["conditioning"] = "both";
  g["nodes"]["acgan_crit"] = {{"type", "acgan_crit"}, {"inputs", {{"base", "crit_loss"}}}};
  g["nodes"]["acgan_gen"] = {{"type", "acgan_gen"}, {"inputs", {{"base", "gen_loss"}}}};
  g["nodes"]["train"]["inputs"]["crit_loss"] = "acgan_crit";
  g["nodes"]["train"]["inputs"]["gen_loss"] = "acgan_gen";
  std::string log = straight_killed_resumed(g, dir, "train");
  INFO(log);
  CHECK_THAT(log, Catch::Contains("train: resumed from"));
  require_same_weights(dir + "/straight/train_generator.pt", dir + "/killed/train_generator.pt");
  require_same_weights(dir + "/straight/train_critic.pt", dir + "/killed/train_critic.pt");
  // The sample grid: one row per class, 16 / 10 = 1 image of 32 px each (2 px gaps).
  ganflow::Image grid = ganflow::load_image(dir + "/straight/samples/epoch_001.png", 1);
  CHECK(grid.height == 2 + 34 * 10);
  CHECK(grid.width == 2 + 34 * 1);

  auto images = [&](const std::vector<std::string>& args, const std::string& name) {
    std::vector<std::string> a = {"generate", dir + "/straight", "--format", "pt", "--seed", "4", "--out", dir + "/" + name};
    a.insert(a.end(), args.begin(), args.end());
    REQUIRE(run(a, dir + "/" + name + ".log") == 0);
    return ganflow::load_pickle(dir + "/" + name).toTensor();
  };
  // Class rows share their noise: row k of --classes is what --class k draws from the same seed.
  torch::Tensor rows = images({"--classes", "3,7", "--n", "8"}, "rows.pt");
  torch::Tensor three = images({"--class", "3", "--n", "4"}, "three.pt");
  torch::Tensor seven = images({"--class", "7", "--n", "4"}, "seven.pt");
  REQUIRE(rows.size(0) == 8);
  CHECK(torch::allclose(rows.narrow(0, 0, 4), three, 1e-5, 1e-6));
  CHECK(torch::allclose(rows.narrow(0, 4, 4), seven, 1e-5, 1e-6));
  CHECK_FALSE(torch::allclose(three, seven, 1e-3, 1e-3));
  CHECK(images({"--n", "25"}, "all.pt").size(0) == 20);  // every class, 25 / 10 = 2 columns
  REQUIRE(run({"generate", dir + "/straight", "--class", "12", "--out", dir + "/bad.png"}, dir + "/bad.log") != 0);
  CHECK_THAT(gantest::read_text(dir + "/bad.log"), Catch::Contains("--class 12 is outside the generator's classes [0, 10)"));
}

TEST_CASE("a GAN of torchscript_model networks written in PyTorch resumes bit-equal after SIGKILL", "[resume][torchscript]") {
  std::string dir = gantest::temp_dir("resume_torchscript");
  auto made = ganflow::test::run_python("make_scripted_models.py", {dir, "16"});
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  json g = resume_graph("resume_torchscript");
  g["nodes"]["images"]["params"]["size"] = 16;
  g["nodes"]["images"]["params"]["fit"] = "resize";
  g["nodes"]["generator"] = {{"type", "torchscript_model"}, {"params", {{"file", dir + "/res_generator.pt"}}}};
  g["nodes"]["critic"] = {{"type", "torchscript_model"}, {"params", {{"file", dir + "/res_critic.pt"}}}};
  // Channels-last on every machine: there the JIT executor's optimised plan rounded differently
  // from its profiled calls, and a resumed run (profiling afresh) drifted off (scripted_module.cpp).
  g["nodes"]["train"]["params"]["channels_last"] = true;
  std::string log = straight_killed_resumed(g, dir, "train");
  INFO(log);
  CHECK_THAT(log, Catch::Contains("train: resumed from"));
  require_same_weights(dir + "/straight/train_generator.pt", dir + "/killed/train_generator.pt");
  require_same_weights(dir + "/straight/train_critic.pt", dir + "/killed/train_critic.pt");
  // The state dicts carry the scripts' own names (BatchNorm buffers included).
  auto sd = ganflow::load_pickle(dir + "/straight/train_generator.pt").toGenericDict();
  CHECK(sd.contains("up1.bn1.running_mean"));
  CHECK(sd.contains("fc.weight"));
}
