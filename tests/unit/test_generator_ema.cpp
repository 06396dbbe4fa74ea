// generator_ema through the Trainer contract: the average against a hand computation,
// buffers copied, only generator training steps counted, state round trip, bad params.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "ganflow/model.hpp"
#include "ganflow/weight_average.hpp"
#include "test_support.hpp"
#include "test_switchers_trainer.hpp"

using namespace ganflow;
using namespace ganflow::test;

namespace {
struct EmaRig {
  std::shared_ptr<Model> gen;
  std::shared_ptr<Callback> cb;
  WeightAverage* avg = nullptr;
};

// A small BatchNorm generator and an EMA of it with `params`.
EmaRig rig(const std::string& params) {
  auto built = build_nodes(R"({"g": {"type": "basic_generator", "params": {"out_size": 8, "noise_sz": 4, "n_features": 8}},
                               "ema": {"type": "generator_ema", "inputs": {"generator": "g"}, "params": )" +
                           params + "}}");
  EmaRig r{std::dynamic_pointer_cast<Model>(built.nodes.at("g")), std::dynamic_pointer_cast<Callback>(built.nodes.at("ema"))};
  r.avg = dynamic_cast<WeightAverage*>(r.cb.get());
  REQUIRE((r.gen && r.cb && r.avg));
  REQUIRE(r.avg->averaged_model() == r.gen);
  return r;
}

// Moves every parameter by `d` and every floating buffer to `v`: the "optimiser step".
void step_weights(torch::nn::Module& m, float d, float v) {
  torch::NoGradGuard ng;
  for (auto& p : m.parameters()) p.add_(d);
  for (auto& b : m.buffers())
    if (b.is_floating_point()) b.fill_(v);
}
}  // namespace

TEST_CASE("generator_ema: ema = beta * ema + (1 - beta) * weights after generator steps only, buffers copied", "[callbacks]") {
  EmaRig r = rig(R"({"half_life_kimg": 0.1, "rampup": 0})");  // half-life 100 images
  ScriptedTrainer t;
  t.gen = true;
  t.bs = 16;
  t.begin({r.cb.get()});
  const StateDict w0 = state_dict(r.gen->module());
  CHECK(same_state(r.avg->averaged(), w0));  // it starts as the generator

  step_weights(r.gen->module(), 1.0f, 0.5f);
  const StateDict w1 = state_dict(r.gen->module());
  t.batch({r.cb.get()}, 0.1);
  const double beta = std::pow(0.5, 16.0 / 100.0);
  StateDict a1 = r.avg->averaged();
  int64_t params = 0;
  for (auto& p : r.gen->module().named_parameters(true)) {
    INFO(p.key());
    torch::Tensor want = w0.at(p.key()) * beta + w1.at(p.key()) * (1 - beta);
    CHECK(torch::allclose(a1.at(p.key()), want, 1e-6, 1e-6));
    ++params;
  }
  REQUIRE(params > 0);
  int64_t buffers = 0;
  for (auto& b : r.gen->module().named_buffers(true)) {
    INFO(b.key());
    CHECK(torch::equal(a1.at(b.key()), w1.at(b.key())));
    ++buffers;
  }
  REQUIRE(buffers > 0);

  // A critic step and a validation batch leave the average alone.
  step_weights(r.gen->module(), 1.0f, 0.25f);
  t.gen = false;
  t.batch({r.cb.get()}, 0.1);
  t.gen = true;
  t.batch({r.cb.get()}, 0.1, /*training=*/false);
  CHECK(same_state(r.avg->averaged(), a1));
}

TEST_CASE("generator_ema: the ramp-up forgets the first weights fast, and a fixed beta overrides the half-life", "[callbacks]") {
  EmaRig r = rig(R"({"half_life_kimg": 10, "rampup": 0.5})");
  ScriptedTrainer t;
  t.gen = true;
  t.bs = 16;
  t.begin({r.cb.get()});
  t.batch({r.cb.get()}, 0.1);  // 0 images seen: half-life 0, the average jumps to the weights
  step_weights(r.gen->module(), 2.0f, 0.5f);
  const StateDict w1 = state_dict(r.gen->module());
  const StateDict a0 = r.avg->averaged();
  t.batch({r.cb.get()}, 0.1);  // 16 images seen: half-life min(10000, 8) = 8 images
  const double beta = std::pow(0.5, 16.0 / 8.0);
  const std::string k = r.gen->module().named_parameters(true).begin()->key();
  CHECK(torch::allclose(r.avg->averaged().at(k), a0.at(k) * beta + w1.at(k) * (1 - beta), 1e-6, 1e-6));

  EmaRig f = rig(R"({"beta": 0.9})");
  ScriptedTrainer tf;
  tf.gen = true;
  tf.begin({f.cb.get()});
  const StateDict f0 = state_dict(f.gen->module());
  step_weights(f.gen->module(), 1.0f, 0.5f);
  tf.batch({f.cb.get()}, 0.1);
  const std::string fk = f.gen->module().named_parameters(true).begin()->key();
  CHECK(torch::allclose(f.avg->averaged().at(fk), f0.at(fk) + 0.1, 1e-5, 1e-6));
}

TEST_CASE("generator_ema: its state and average continue where a checkpoint left them", "[callbacks]") {
  EmaRig a = rig(R"({"half_life_kimg": 0.1, "rampup": 0.05})");
  ScriptedTrainer t;
  t.gen = true;
  t.begin({a.cb.get()});
  for (int i = 0; i < 3; ++i) {
    step_weights(a.gen->module(), 0.5f, float(i));
    t.batch({a.cb.get()}, 0.1);
  }
  // A second EMA restored from the first's checkpointed state, on a generator with the same
  // weights, takes the same next step.
  EmaRig b = rig(R"({"half_life_kimg": 0.1, "rampup": 0.05})");
  load_state_dict(b.gen->module(), state_dict(a.gen->module()), "a");
  b.cb->load_state(a.cb->state());
  b.avg->load_averaged(a.avg->averaged());
  ScriptedTrainer tb;
  tb.gen = true;
  tb.begin({b.cb.get()});
  CHECK(same_state(b.avg->averaged(), a.avg->averaged()));
  step_weights(a.gen->module(), 0.5f, 7.0f);
  step_weights(b.gen->module(), 0.5f, 7.0f);
  t.batch({a.cb.get()}, 0.1);
  tb.batch({b.cb.get()}, 0.1);
  CHECK(same_state(b.avg->averaged(), a.avg->averaged()));
}

TEST_CASE("generator_ema: a half-life <= 0, a beta >= 1 or a critic as input are refused naming node and param", "[callbacks]") {
  const std::string g = R"("g": {"type": "basic_generator"}, "c": {"type": "basic_critic"}, )";
  CHECK_THAT(build_error("{" + g + R"("e": {"type": "generator_ema", "inputs": {"generator": "g"}, "params": {"half_life_kimg": 0}}})"),
             Catch::Contains("/nodes/e/params/half_life_kimg"));
  CHECK_THAT(build_error("{" + g + R"("e": {"type": "generator_ema", "inputs": {"generator": "g"}, "params": {"beta": 1.0}}})"),
             Catch::Contains("/nodes/e/params/beta"));
  CHECK_THAT(build_error("{" + g + R"("e": {"type": "generator_ema", "inputs": {"generator": "c"}}})"),
             Catch::Contains("/nodes/e/inputs/generator"));
}
