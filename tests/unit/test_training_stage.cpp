// The one training loop (TrainingStage) seen from a callback, and a Session as a program that
// embeds ganflow uses it: run with a log callback, cancel, resume, take the trained model.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <filesystem>

#include "gan_harness.hpp"
#include "ganflow/callback.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/model.hpp"
#include "ganflow/trained_generator.hpp"

using namespace ganflow;

namespace {
// Saves checkpoints/<stage>_mid.pt at the end of training batch `at_step` (steps count from 1).
class CheckpointAtStep : public Callback {
 public:
  explicit CheckpointAtStep(int64_t at_step) : at_step_(at_step) {}
  void on_batch_end(Trainer& t) override {
    if (t.training() && t.step() == at_step_) t.save_checkpoint_as("mid");
  }

 private:
  int64_t at_step_;
};

void register_checkpoint_at_step() {
  static bool done = [] {
    NodeSpec s("test_checkpoint_at_step", NodeKind::Callback, "Test: checkpoint <stage>_mid.pt after a step.");
    s.param_int("step", 1, "The step after which to save.");
    s.factory = [](const BuildContext& c) { return std::make_shared<CheckpointAtStep>(c.params().i("step")); };
    gantest::registry().add(std::move(s));
    return true;
  }();
  (void)done;
}

StateDict generator_of(const std::string& dir) {
  return load_state_dict_file(dir + "/train_generator.pt");
}
}  // namespace

TEST_CASE("a checkpoint a callback saves at a batch's end resumes after that batch, bit-equal", "[loop]") {
  register_checkpoint_at_step();
  json g = gantest::tiny_dcgan({"loop_mid", 3, 128, 16, 16, 16, 1}, {{"epochs", 1}, {"max_batches", 6}, {"show_img", false}});
  g["nodes"]["mid"] = {{"type", "test_checkpoint_at_step"}, {"params", {{"step", 3}}}};
  g["nodes"]["train"]["inputs"]["callbacks"] = json::array({"mid"});
  const torch::Device cpu(torch::kCPU);
  std::string straight = gantest::temp_dir("loop_mid_straight"), resumed = gantest::temp_dir("loop_mid_resumed");
  gantest::run_graph(g.dump(), straight, cpu);
  const std::string mid = straight + "/checkpoints/train_mid.pt";
  Checkpoint ck = Checkpoint::load(mid);
  CHECK(ck.meta.at("step") == 3);
  CHECK(ck.meta.at("batch") == 3);  // the batch whose end saved it is done

  SessionOptions resume;
  resume.graph_text = g.dump();
  resume.out = resumed;
  resume.device = "cpu";
  resume.resume = mid;
  REQUIRE(Session(resume, gantest::registry()).run());
  StateDict a = generator_of(straight), b = generator_of(resumed);
  REQUIRE(a.size() > 0);
  REQUIRE(a.size() == b.size());
  for (const auto& kv : a) {
    INFO(kv.key());
    CHECK(torch::equal(kv.value(), b.at(kv.key())));
  }
}

TEST_CASE("a Session runs a graph with a log callback, is cancelled, resumes, and hands back the trained model",
          "[loop][session]") {
  json g = gantest::tiny_dcgan({"session", 9, 128, 16, 16, 16, 1}, {{"epochs", 2}, {"max_batches", 4}, {"show_img", false}});
  const std::string dir = gantest::temp_dir("session_cancel");
  SessionOptions o;
  o.graph_text = g.dump();
  o.out = dir;
  o.device = "cpu";
  std::vector<std::string> lines;
  std::unique_ptr<Session> session;
  // Cancelled from the log callback when epoch 0's row is logged: epoch 1 must not start.
  o.on_log = [&](const std::string& line) {
    lines.push_back(line);
    if (line.rfind("0 ", 0) == 0) session->cancel();
  };
  session = std::make_unique<Session>(o, gantest::registry());
  CHECK(session->run() == false);
  REQUIRE_FALSE(lines.empty());
  Checkpoint ck = Checkpoint::load(dir + "/checkpoints/train_last.pt");
  CHECK(ck.meta.at("epoch") == 1);
  CHECK(ck.meta.at("step") == 4);
  CHECK_FALSE(std::filesystem::exists(dir + "/train_generator.pt"));

  SessionOptions again;
  again.resume = dir;
  again.on_log = [&](const std::string& line) { lines.push_back(line); };
  Session resumed(again, gantest::registry());
  CHECK(resumed.graph().name == "session");  // the run's own graph.json
  REQUIRE(resumed.run());
  auto gen = resumed.node<Model>("generator");
  REQUIRE(gen);
  StateDict file = generator_of(dir);
  REQUIRE(file.size() > 0);
  for (const auto& kv : state_dict(gen->module())) {
    INFO(kv.key());
    CHECK(torch::equal(kv.value(), file.at(kv.key())));
  }
  CHECK(resumed.node<Model>("no_such_node") == nullptr);
  // The GAN stage offers its generator (what `ganflow generate` asks for), wired as in the graph.
  auto offered = resumed.node<TrainedGenerator>("train");
  REQUIRE(offered);
  CHECK(offered->generator() == gen);
  CHECK(offered->generator_noise() == resumed.node<NoiseSource>("noise"));
  CHECK(offered->generator_file() == "train_generator.pt");
}

TEST_CASE("a Session reports batch progress and epoch rows to an embedding program", "[loop][session]") {
  json g = gantest::tiny_dcgan({"session_progress", 9, 128, 16, 16, 16, 1}, {{"epochs", 2}, {"max_batches", 4}, {"show_img", false}});
  SessionOptions o;
  o.graph_text = g.dump();
  o.out = gantest::temp_dir("session_progress");
  o.device = "cpu";
  o.on_log = [](const std::string&) {};
  std::vector<Progress> batches;
  std::vector<std::pair<std::string, json>> rows;
  o.on_progress = [&](const Progress& p) { batches.push_back(p); };
  o.on_epoch = [&](const std::string& stage, const json& row) { rows.emplace_back(stage, row); };
  Session session(o, gantest::registry());
  REQUIRE(session.run());
  // Each epoch's last batch is always reported, whatever the rate limit left out before it.
  REQUIRE(batches.size() >= 2);
  int64_t last_batches = 0;
  for (const auto& p : batches) {
    CHECK(p.stage == "train");
    CHECK(p.batches == 4);
    CHECK((p.batch >= 1 && p.batch <= 4));
    CHECK(p.images_per_s > 0);
    CHECK_FALSE(p.losses.empty());
    last_batches += p.batch == 4;
  }
  CHECK(last_batches == 2);
  CHECK(batches.back().epoch == 1);
  REQUIRE(rows.size() == 2);
  for (int e = 0; e < 2; ++e) {
    CHECK(rows[e].first == "train");
    CHECK(rows[e].second.at("epoch") == e);
    CHECK(rows[e].second.contains("gen_loss"));
  }
}

TEST_CASE("a Session names what is wrong before it runs: no graph, a bad graph", "[session]") {
  CHECK_THROWS_WITH(Session(SessionOptions{}, gantest::registry()),
                    Catch::Contains("no graph to run"));
  SessionOptions bad;
  bad.graph_text = R"({"name": "bad", "nodes": {"x": {"type": "no_such_type"}}})";
  CHECK_THROWS_AS(Session(bad, gantest::registry()), GraphError);
}
