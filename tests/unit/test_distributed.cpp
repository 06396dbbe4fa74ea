// Data-parallel training end to end: real ganflow processes in a real c10d process group (Gloo
// on loopback), started by `ganflow run --nproc`, by hand with torchrun's environment, or by
// torchrun itself.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "ganflow/framework/train/checkpoint.hpp"
#include "gan_harness.hpp"
#include "ganflow/state_dict.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace ganflow;
using ganflow::test::run_ganflow;
using ganflow::test::scratch_dir;
using ganflow::test::shell_quote;

namespace {

const std::string kTimeout = "timeout 300";  // a hang fails the test instead of blocking CI

// A small BatchNorm-free DCGAN on Fashion-MNIST with a generator EMA, trained with SGD: the
// graph every test here edits. Gradient buckets of 20 KiB: several per network, so their sums
// overlap backward.
json dp_graph(int64_t bs, int64_t max_batches) {
  json g = json::parse(R"({
    "name": "dp", "seed": 3, "device": "cpu", "dist_timeout_s": 20,
    "nodes": {
      "images": {"type": "fashion_mnist", "params": {"split": "train", "size": 32}},
      "noise": {"type": "noisy_item", "params": {"noise_sz": 32}},
      "data": {"type": "gan_item_list", "inputs": {"x": "noise", "y": "images"}, "params": {"threads": 1}},
      "generator": {"type": "basic_generator", "params": {"out_size": 32, "noise_sz": 32, "n_features": 16, "norm": "none"}},
      "critic": {"type": "basic_critic", "params": {"in_size": 32, "n_features": 16, "norm": "none"}},
      "bce": {"type": "bce_with_logits"},
      "bce_patch": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
      "gen_loss": {"type": "gan_gen_loss", "inputs": {"loss_crit": "bce_patch"}, "params": {"weights_gen": [1.0, 0.0]}},
      "crit_loss": {"type": "gan_crit_loss", "inputs": {"loss_crit": "bce_patch"}},
      "switcher": {"type": "fixed_gan_switcher"},
      "ema": {"type": "generator_ema", "inputs": {"generator": "generator"}, "params": {"half_life_kimg": 0.1}},
      "train": {"type": "gan",
                "inputs": {"data": "data", "generator": "generator", "critic": "critic", "gen_loss": "gen_loss",
                           "crit_loss": "crit_loss", "switcher": "switcher", "callbacks": ["ema"]},
                "params": {"epochs": 1, "opt": "sgd", "lr": 0.0002, "switch_eval": false, "show_img": false,
                           "bucket_cap_mb": 0.02}}
    }})");
  g["nodes"]["data"]["params"]["bs"] = bs;
  g["nodes"]["train"]["params"]["max_batches"] = max_batches;
  return g;
}

std::string write_graph(const json& g, const std::string& dir) {
  std::string path = (fs::path(dir) / "graph_in.json").string();
  std::ofstream(path) << g.dump(2);
  return path;
}

// Worst |a - b| / max |a| over every tensor of two state-dict files; `compared` counts tensors.
double max_relative_difference(const std::string& a_file, const std::string& b_file, int& compared) {
  StateDict a = load_state_dict_file(a_file), b = load_state_dict_file(b_file);
  double worst = 0;
  compared = 0;
  for (const auto& e : a) {
    torch::Tensor x = e.value().to(torch::kDouble), y = b.at(e.key()).to(torch::kDouble);
    worst = std::max(worst, ((x - y).abs().max() / x.abs().max().clamp_min(1e-12)).item<double>());
    ++compared;
  }
  return worst;
}

// ||a - b|| / ||a|| over every floating tensor of two state-dict files together.
double norm_relative_difference(const std::string& a_file, const std::string& b_file) {
  StateDict a = load_state_dict_file(a_file), b = load_state_dict_file(b_file);
  double diff = 0, norm = 0;
  for (const auto& e : a) {
    if (!e.value().is_floating_point()) continue;
    torch::Tensor x = e.value().to(torch::kDouble), y = b.at(e.key()).to(torch::kDouble);
    diff += (x - y).square().sum().item<double>();
    norm += x.square().sum().item<double>();
  }
  return std::sqrt(diff / norm);
}

// `g` with `data`'s bs and `stage`'s sync_bn set, run in `nproc` ranks into dir/out; the last
// epoch row.
json run_ranks(json& g, const std::string& data, const std::string& stage, int64_t bs, bool sync_bn, int nproc,
               const std::string& dir, const std::string& out) {
  g["nodes"][data]["params"]["bs"] = bs;
  g["nodes"][stage]["params"]["sync_bn"] = sync_bn;
  auto r = run_ganflow("run " + write_graph(g, dir) + " --out " + dir + "/" + out + " --nproc " + std::to_string(nproc),
                       kTimeout);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::string m = gantest::read_text(dir + "/" + out + "/metrics.jsonl");
  return json::parse(m.substr(m.rfind("{\"")));
}

bool bit_equal(const std::string& a_file, const std::string& b_file, int& compared) {
  StateDict a = load_state_dict_file(a_file), b = load_state_dict_file(b_file);
  compared = 0;
  for (const auto& e : a) {
    if (!torch::equal(e.value(), b.at(e.key()))) return false;
    ++compared;
  }
  return compared > 0;
}

std::set<std::string> files_under(const std::string& dir) {
  std::set<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(dir)) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

// `command` (a /bin/sh line) started in the background, its output in `log`.
pid_t start_shell(const std::string& command, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string cmd = "exec " + command + " > " + shell_quote(log) + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  return pid;
}

// One rank started by hand with torchrun's environment, its output in `log`.
pid_t start_rank(int rank, int world, int port, const std::string& args, const std::string& log) {
  return start_shell("env RANK=" + std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) + " WORLD_SIZE=" +
                         std::to_string(world) + " LOCAL_WORLD_SIZE=" + std::to_string(world) +
                         " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " " +
                         std::string(GANFLOW_BINARY_DIR) + "/bin/ganflow " + args,
                     log);
}

// Whether `path` exists within two minutes.
bool appears(const std::string& path) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(path) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return fs::exists(path);
}

// Waits up to `limit` for `pid`; its exit code (128 + signal when killed), or nullopt.
std::optional<int> wait_for(pid_t pid, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return std::nullopt;
}


}  // namespace

TEST_CASE("2 ranks at batch 8 train what 1 rank at batch 16 trains, and only rank 0 writes", "[dist]") {
  const std::string one = scratch_dir("dp_one"), two = scratch_dir("dp_two");
  auto r1 = run_ganflow("run " + write_graph(dp_graph(16, 20), one) + " --out " + one + "/run --nproc 1", kTimeout);
  INFO(r1.output);
  REQUIRE(r1.exit_code == 0);
  auto r2 = run_ganflow("run " + write_graph(dp_graph(8, 20), two) + " --out " + two + "/run --nproc 2", kTimeout);
  INFO(r2.output);
  REQUIRE(r2.exit_code == 0);
  CHECK_THAT(r2.output, Catch::Contains("[rank 0] ganflow run") && Catch::Contains("2 ranks (data-parallel)"));

  // The same 16 images and the same noise per step; gradients averaged. Within float
  // reordering (batch 8 convolutions sum in another order than batch 16 ones).
  for (const char* file : {"train_generator.pt", "train_critic.pt", "train_generator_ema.pt"}) {
    int compared = 0;
    double diff = max_relative_difference(one + "/run/" + file, two + "/run/" + file, compared);
    INFO(file << ": max relative difference " << diff);
    CHECK(compared >= 7);
    CHECK(diff <= 1e-5);
  }
  // Training moved the weights (so the comparison above is not of two initialisations).
  int compared = 0;
  CHECK(max_relative_difference(two + "/run/train_generator.pt", two + "/run/train_generator_ema.pt", compared) > 1e-4);

  // Only rank 0 wrote: the same files as the one-process run, one epoch row, its log alone.
  CHECK(files_under(one + "/run") == files_under(two + "/run"));
  std::string metrics = gantest::read_text(two + "/run/metrics.jsonl");
  auto epoch_rows = [](const std::string& m) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = m.find("\"kind\":\"epoch\"", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  CHECK(epoch_rows(metrics) == 1);
  CHECK(gantest::read_text(two + "/run/log.txt").find("[rank 1]") == std::string::npos);
}

TEST_CASE("with sync_bn, 2 ranks at batch 8 train the BatchNorm models as 1 rank at batch 16 does", "[dist]") {
  const std::string dir = scratch_dir("dp_sync_bn");
  json g = dp_graph(16, 20);
  for (const char* net : {"generator", "critic"}) g["nodes"][net]["params"]["norm"] = "batch";
  // NCHW: in channels-last (auto on AVX-512) oneDNN's kernels sum in another order for batch 8
  // than for 16, and on some hosts that drift alone reached 1.6e-5 in 20 steps (the sync is
  // what is tested here; the unconditional test above keeps the machine's layout).
  g["nodes"]["train"]["params"]["channels_last"] = false;
  run_ranks(g, "data", "train", 16, false, 1, dir, "ref");  // one rank with torch's own BatchNorm
  run_ranks(g, "data", "train", 8, true, 2, dir, "synced");
  run_ranks(g, "data", "train", 8, false, 2, dir, "per_rank");
  for (const char* file : {"train_generator.pt", "train_critic.pt", "train_generator_ema.pt"}) {
    int synced_n = 0, per_rank_n = 0;
    const double synced_diff = max_relative_difference(dir + "/ref/" + file, dir + "/synced/" + file, synced_n);
    const double per_rank_diff = max_relative_difference(dir + "/ref/" + file, dir + "/per_rank/" + file, per_rank_n);
    INFO(file << ": sync_bn " << synced_diff << ", per-rank statistics " << per_rank_diff);
    CHECK(synced_n >= 10);
    CHECK(synced_diff <= 1e-5);
    CHECK(per_rank_diff > 100 * synced_diff);  // without sync_bn the statistics, and so the weights, differ
  }
}

TEST_CASE("a learner stage trains data-parallel too: 2 ranks at batch 16 with sync_bn = 1 rank at batch 32", "[dist]") {
  json g = json::parse(R"({"name": "dp_learner", "seed": 5, "device": "cpu", "nodes": {
    "train_images": {"type": "fashion_mnist", "params": {"split": "train", "size": 32, "limit": 512}},
    "test_images": {"type": "fashion_mnist", "params": {"split": "test", "size": 32, "limit": 128}},
    "train_data": {"type": "item_list", "inputs": {"x": "train_images"}, "params": {"target": "label", "threads": 1}},
    "test_data": {"type": "item_list", "inputs": {"x": "test_images"},
                  "params": {"bs": 32, "target": "label", "shuffle": false, "drop_last": false, "threads": 1}},
    "classifier": {"type": "fmnist_classifier", "params": {"feature_dim": 8}},
    "ce": {"type": "cross_entropy"},
    "accuracy": {"type": "accuracy"},
    "fit": {"type": "learner", "inputs": {"data": "train_data", "valid": "test_data", "model": "classifier", "loss": "ce",
            "metrics": ["accuracy"]}, "params": {"epochs": 1, "opt": "sgd", "lr": 0.01, "max_batches": 12,
            "channels_last": false}}}})");
  const std::string dir = scratch_dir("dp_learner");
  json one = run_ranks(g, "train_data", "fit", 32, false, 1, dir, "one");
  json two = run_ranks(g, "train_data", "fit", 16, true, 2, dir, "two");
  run_ranks(g, "train_data", "fit", 16, false, 2, dir, "per_rank");
  INFO(one.dump() << "\n" << two.dump());
  // Norm-wise: max-pooling turns float-order differences (BatchNorm statistics summed in
  // another order than torch's) into a few other argmaxes, which single near-zero BN biases
  // show as large relative changes. NCHW (not auto): torch's channels-last BatchNorm sums in yet
  // another order, and there 12 steps drifted to 4e-4 (per-rank statistics: 1e-2); the GAN
  // sync_bn test above runs in the machine's auto layout.
  const double synced = norm_relative_difference(dir + "/one/fit_model.pt", dir + "/two/fit_model.pt");
  const double per_rank = norm_relative_difference(dir + "/one/fit_model.pt", dir + "/per_rank/fit_model.pt");
  INFO("relative difference: sync_bn " << synced << ", per-rank statistics " << per_rank);
  CHECK(synced <= 1e-5);
  CHECK(per_rank > 10 * synced);
  // Validation: each rank scores its half of the 128 test images; the sums make the whole.
  CHECK(two.at("valid_loss").get<double>() == Approx(one.at("valid_loss").get<double>()).epsilon(1e-5));
  CHECK(two.at("accuracy").get<double>() == Approx(one.at("accuracy").get<double>()).epsilon(1e-9));
}

TEST_CASE("ranks switch together: the adaptive switcher decides on the loss averaged over ranks", "[dist]") {
  // Rank 1's critic loss is 11x rank 0's: rank 0's alone is below critic_thresh 2 (~0.7), the mean
  // (~4) is not. Single-process the critic switches at once; in 2 ranks neither rank switches.
  json g = dp_graph(8, 12);
  g["nodes"]["scaled"] = {{"type", "rank_scaled_crit_loss"}, {"inputs", {{"base", "crit_loss"}}}, {"params", {{"factor", 10.0}}}};
  g["nodes"]["train"]["inputs"]["crit_loss"] = "scaled";
  g["nodes"]["switcher"] = {{"type", "adaptive_gan_switcher"}, {"params", {{"critic_thresh", {2.0}}, {"max_steps", 0}}}};
  const std::string env = "GANFLOW_PLUGIN_PATH=" + std::string(GANFLOW_TEST_PLUGIN_DIR) + "/gf_test_spies " + kTimeout;
  const std::string dir = scratch_dir("dp_switch");
  auto single = run_ganflow("run " + write_graph(g, dir) + " --out " + dir + "/single", env);
  INFO(single.output);
  REQUIRE(single.exit_code == 0);
  CHECK_THAT(single.output, !Catch::Contains("(0 generator, 12 critic)"));
  auto two = run_ganflow("run " + write_graph(g, dir) + " --out " + dir + "/two --nproc 2", env);
  INFO(two.output);
  REQUIRE(two.exit_code == 0);
  CHECK_THAT(two.output, Catch::Contains("train: 12 steps (0 generator, 12 critic)"));

  // A switcher that decides on something rank-local is caught at the next step, on every rank.
  g["nodes"]["switcher"] = {{"type", "one_rank_switcher"}, {"params", {{"at", 3}, {"rank", 1}}}};
  auto faulty = run_ganflow("run " + write_graph(g, dir) + " --out " + dir + "/faulty --nproc 2", env);
  INFO(faulty.output);
  CHECK(faulty.exit_code == 1);
  CHECK_THAT(faulty.output, Catch::Contains("[rank 0] error:") && Catch::Contains("the ranks disagree at step 3") &&
                                Catch::Contains("1 of 2 train the generator"));
}

TEST_CASE("a 2-rank run resumed from its checkpoint ends bit-equal to an uninterrupted one", "[dist]") {
  const std::string dir = scratch_dir("dp_resume");
  json g = dp_graph(8, 10);
  g["nodes"]["train"]["params"]["epochs"] = 2;
  auto straight = run_ganflow("run " + write_graph(g, dir) + " --out " + dir + "/straight --nproc 2", kTimeout);
  INFO(straight.output);
  REQUIRE(straight.exit_code == 0);
  g["nodes"]["train"]["params"]["epochs"] = 1;
  auto first = run_ganflow("run " + write_graph(g, dir) + " --out " + dir + "/halves --nproc 2", kTimeout);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  auto second = run_ganflow("run --resume " + dir + "/halves --set train.epochs=2 --nproc 2", kTimeout);
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.output, Catch::Contains("resumed from"));
  for (const char* file : {"train_generator.pt", "train_critic.pt", "train_generator_ema.pt"}) {
    int compared = 0;
    INFO(file);
    CHECK(bit_equal(dir + "/straight/" + file, dir + "/halves/" + file, compared));
  }
}

TEST_CASE("a rank killed mid-run: the other stops within dist_timeout_s naming it, and the checkpoint resumes", "[dist]") {
  const std::string dir = scratch_dir("dp_kill");
  json g = dp_graph(8, 0);  // a whole epoch: far longer than the test waits
  g["nodes"]["train"]["params"]["checkpoint_every"] = 5;
  const std::string args = "run " + write_graph(g, dir) + " --out " + dir + "/run";
  const int port = test::free_port();
  pid_t r0 = start_rank(0, 2, port, args, dir + "/rank0.log"), r1 = start_rank(1, 2, port, args, dir + "/rank1.log");
  const std::string ck = dir + "/run/checkpoints/train_last.pt";
  REQUIRE(appears(ck));
  ::kill(r1, SIGKILL);
  auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(wait_for(r1, std::chrono::seconds(10)).value_or(0) == 128 + SIGKILL);
  std::optional<int> code = wait_for(r0, std::chrono::seconds(40));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  std::string log = gantest::read_text(dir + "/rank0.log");
  INFO(log);
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(secs < 20 + 5);
  CHECK_THAT(log, Catch::Contains("error: node 'train': rank 0: ") && Catch::Contains("rank 1 stopped answering"));
  // The last checkpoint is whole, and a run continues from it (here on one process, warned).
  Checkpoint last = Checkpoint::load(ck);
  CHECK(last.meta.at("world_size") == 2);
  auto resumed = run_ganflow("run --resume " + dir + "/run --set train.max_batches=" +
                                 std::to_string(last.meta.at("batch").get<int64_t>() + 2),
                             kTimeout);
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("was written by a run of 2 process(es), this run has 1"));
}

TEST_CASE("Ctrl-C to run --nproc stops every rank at the same step, rank 0 checkpoints it, exit 130", "[dist]") {
  const std::string dir = scratch_dir("dp_sigint");
  json g = dp_graph(8, 0);
  g["nodes"]["train"]["params"]["checkpoint_every"] = 5;
  const std::string log = dir + "/launcher.log";
  pid_t launcher = start_shell(
      std::string(GANFLOW_BINARY_DIR) + "/bin/ganflow run " + write_graph(g, dir) + " --out " + dir + "/run --nproc 2", log);
  const std::string ck = dir + "/run/checkpoints/train_last.pt";
  REQUIRE(appears(ck));
  ::kill(launcher, SIGINT);
  std::optional<int> code = wait_for(launcher, std::chrono::seconds(60));
  std::string out = gantest::read_text(log);
  INFO(out);
  CHECK(code == 130);
  CHECK_THAT(out, Catch::Contains("[rank 0] train: stopped at step "));
  Checkpoint last = Checkpoint::load(ck);
  CHECK_THAT(out, Catch::Contains("stopped at step " + std::to_string(last.meta.at("step").get<int64_t>()) + ";"));
}

TEST_CASE("ranks started with different graphs are refused before training, on every rank", "[dist]") {
  const std::string dir = scratch_dir("dp_mismatch");
  const std::string graph = write_graph(dp_graph(8, 5), dir);
  const int port = test::free_port();
  pid_t r0 = start_rank(0, 2, port, "run " + graph + " --out " + dir + "/run", dir + "/rank0.log");
  pid_t r1 = start_rank(1, 2, port, "run " + graph + " --out " + dir + "/run --set train.lr=0.001", dir + "/rank1.log");
  std::optional<int> c0 = wait_for(r0, std::chrono::seconds(60)), c1 = wait_for(r1, std::chrono::seconds(60));
  for (const std::string log : {gantest::read_text(dir + "/rank0.log"), gantest::read_text(dir + "/rank1.log")}) {
    INFO(log);
    CHECK_THAT(log, Catch::Contains("rank 1's resolved graph differs from rank 0's"));
  }
  CHECK(c0 == 1);
  CHECK(c1 == 1);
  CHECK_FALSE(fs::exists(dir + "/run/checkpoints"));
}

TEST_CASE("a taken MASTER_PORT or a rank that never comes is an error within dist_timeout_s", "[dist]") {
  const std::string dir = scratch_dir("dp_rendezvous");
  json g = dp_graph(8, 5);
  g["dist_timeout_s"] = 3;
  const std::string graph = write_graph(g, dir);

  // Another program listens on the port.
  int taken = 0;
  const int fd = test::listening_socket(taken);
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_ganflow("run " + graph + " --out " + dir + "/taken --nproc 2", "MASTER_PORT=" + std::to_string(taken) + " " + kTimeout);
  ::close(fd);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("[rank 0] error: rank 0: cannot host the rendezvous at 127.0.0.1:" +
                                       std::to_string(taken) + " (is the port taken?)"));
  CHECK_THAT(r.output, Catch::Contains("[rank 1] error: rank 1: no rendezvous at 127.0.0.1:" + std::to_string(taken)));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));

  // Rank 0 of 2 alone: rank 1 never comes.
  t0 = std::chrono::steady_clock::now();
  pid_t r0 = start_rank(0, 2, test::free_port(), "run " + graph + " --out " + dir + "/alone", dir + "/alone.log");
  std::optional<int> code = wait_for(r0, std::chrono::seconds(60));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string log = gantest::read_text(dir + "/alone.log");
  INFO(log);
  CHECK(code == 1);
  CHECK(secs < 3 + 15);
  // LibTorch 1.13's store lets rank 0 on and its process group waits; 2.x's store waits itself.
  CHECK_THAT(log, (Catch::Contains("error: rank 0: connecting the process group at 127.0.0.1:") ||
                   Catch::Contains("error: rank 0: not every rank arrived at 127.0.0.1:")) &&
                      Catch::Contains("within the timeout (dist_timeout_s 3)"));
}

TEST_CASE("torchrun starts a data-parallel run (Debian's torchrun needs --redirects 1 --tee 1 on Python 3.11)", "[dist]") {
  if (!fs::exists("/usr/bin/torchrun")) {
    WARN("GANFLOW_TEST_SKIPPED: no /usr/bin/torchrun (python3-torch)");
    return;
  }
  // torchrun's rendezvous store asks for libuv whatever USE_LIBUV says (PyTorch 2.14's
  // static_tcp_rendezvous), and Debian's 2.x builds lack it: such a torchrun cannot start.
  auto probe = ganflow::test::run_shell(
      "/usr/bin/python3 -c \"import torch.distributed as d; d.TCPStore('127.0.0.1', 0, 1, True)\"");
  if (probe.exit_code != 0 && probe.output.find("without libuv") != std::string::npos) {
    WARN("GANFLOW_TEST_SKIPPED: this python3-torch's TCPStore needs libuv, which it was built without");
    return;
  }
  const std::string dir = scratch_dir("dp_torchrun");
  auto r = ganflow::test::run_shell(kTimeout + " /usr/bin/torchrun --nproc_per_node 2 --master_port " +
                                    std::to_string(test::free_port()) + " --redirects 1 --tee 1 --log_dir " + dir +
                                    "/logs --no_python " + std::string(GANFLOW_BINARY_DIR) + "/bin/ganflow run " +
                                    write_graph(dp_graph(8, 5), dir) + " --out " + dir + "/run");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(gantest::read_text(dir + "/run/log.txt"), Catch::Contains("2 ranks (data-parallel)") &&
                                                  Catch::Contains("train: 5 steps"));
  CHECK(fs::exists(dir + "/run/train_generator.pt"));
}

TEST_CASE("a multi-stage graph trains data-parallel: later ranks read what rank 0's stages wrote", "[dist]") {
  // superres: pretrain the generator, save its predictions (rank 0), pretrain a critic on them
  // (every rank reads them), the GAN, then evaluate (rank 0).
  const std::string dir = scratch_dir("dp_stages");
  auto r = run_ganflow("run " + std::string(GANFLOW_SOURCE_DIR) + "/graphs/superres_gan_fashion_mnist.json --out " + dir +
                           "/run --nproc 2 --set originals.limit=256 --set pretrain_gen.epochs=1 --set "
                           "pretrain_crit.epochs=1 --set gan.epochs=1 --set gan.max_batches=6",
                       kTimeout);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("[rank 0] stage save_gen") && Catch::Contains("[rank 0] stage evaluate") &&
                           !Catch::Contains("[rank 1] error"));
  for (const char* file : {"pretrain_gen_model.pt", "pretrain_crit_model.pt", "gan_generator.pt", "before_after.png"})
    CHECK(fs::exists(dir + "/run/" + file));
}

TEST_CASE("a class-conditional GAN trains data-parallel: 2 ranks at batch 8 with sync_bn = 1 rank at batch 16", "[dist][conditional]") {
  const std::string dir = scratch_dir("dp_conditional");
  json g = dp_graph(16, 20);
  // cBN generator, projection critic: labels and generation labels are sliced like the images and noise.
  for (const char* node : {"noise", "generator", "critic"}) g["nodes"][node]["params"]["n_classes"] = 10;
  for (const char* net : {"generator", "critic"}) g["nodes"][net]["params"]["norm"] = "batch";
  // NCHW: in channels-last (auto on AVX-512) oneDNN's kernels sum in another order for batch 8
  // than for 16, and on some hosts that drift alone reached 1.6e-5 in 20 steps (the sync is
  // what is tested here; the unconditional test above keeps the machine's layout). LibTorch
  // 2.14's kernels drift that far in NCHW too (1.61e-5): 5e-5 is allowed.
  g["nodes"]["train"]["params"]["channels_last"] = false;
  run_ranks(g, "data", "train", 16, false, 1, dir, "ref");
  run_ranks(g, "data", "train", 8, true, 2, dir, "synced");
  for (const char* file : {"train_generator.pt", "train_critic.pt", "train_generator_ema.pt"}) {
    int compared = 0;
    const double diff = max_relative_difference(dir + "/ref/" + file, dir + "/synced/" + file, compared);
    INFO(file << ": max relative difference " << diff);
    CHECK(compared >= 10);
    CHECK(diff <= 5e-5);
  }
}
