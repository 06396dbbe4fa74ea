// adaptive_gan_switcher: thresholds on the raw batch loss and the starvation guard.
#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "test_switchers_trainer.hpp"

using namespace ganflow;
using namespace ganflow::test;

TEST_CASE("adaptive_gan_switcher without thresholds switches after every batch", "[switchers]") {
  auto sw = build_one<Callback>("adaptive_gan_switcher");
  ScriptedTrainer t;
  t.begin({sw.get()});
  CHECK(t.run({sw.get()}, 5, 100.0) == "CGCGC");
}

TEST_CASE("adaptive_gan_switcher stays in a mode until its raw batch loss is below the threshold", "[switchers]") {
  // The superres recipe: critic_thresh 0.65, no gen_thresh.
  auto sw = build_one<Callback>("adaptive_gan_switcher", R"({"critic_thresh": [0.65]})");
  ScriptedTrainer t;
  t.begin({sw.get()});
  std::string modes;
  for (double loss : {0.9, 0.7, 0.65, 0.6, 5.0, 0.8, 0.1, 3.0}) modes += t.batch({sw.get()}, loss);
  // C 0.9, C 0.7, C 0.65 (not <, compared in float32 as in fastai), C 0.6 -> G; G 5.0 -> C (no
  // gen_thresh); C 0.8; C 0.1 -> G; G.
  CHECK(modes == "CCCCGCCG");
  auto g = build_one<Callback>("adaptive_gan_switcher", R"({"gen_thresh": [2.0], "critic_thresh": [0.5]})");
  ScriptedTrainer t2;
  t2.gen = true;
  t2.begin({g.get()});
  modes.clear();
  for (double loss : {3.0, 2.5, 1.9, 0.7, 0.4, 1.0}) modes += t2.batch({g.get()}, loss);
  CHECK(modes == "GGGCCG");
  CHECK(t2.warnings.empty());
}

TEST_CASE("adaptive_gan_switcher ignores validation batches", "[switchers]") {
  auto sw = build_one<Callback>("adaptive_gan_switcher", R"({"critic_thresh": [0.5]})");
  ScriptedTrainer t;
  t.begin({sw.get()});
  for (int i = 0; i < 4; ++i) t.batch({sw.get()}, 0.1, /*training=*/false);
  CHECK(t.switches == 0);
  CHECK(t.batch({sw.get()}, 0.1) == 'C');
  CHECK(t.switches == 1);
}

TEST_CASE("the starvation guard switches after max_steps and warns once per occurrence", "[switchers]") {
  auto sw = build_one<Callback>("adaptive_gan_switcher", R"({"critic_thresh": [0.5], "max_steps": 3})");
  ScriptedTrainer t;
  t.begin({sw.get()});
  CHECK(t.run({sw.get()}, 9, 2.0) == "CCCGCCCGC");
  REQUIRE(t.warnings.size() == 2);
  CHECK(t.warnings[0] ==
        "n: the critic ran 3 batches without a loss below critic_thresh 0.5 (last 2); switching anyway");
  // Meeting the threshold resets the count.
  t.run({sw.get()}, 1, 0.1);  // the critic batch pending from above, now below: switch
  CHECK(t.run({sw.get()}, 3, 2.0) == "GCC");
  CHECK(t.warnings.size() == 2);
  // Off (0, the default): the critic may starve the generator forever, as in fastai.
  auto off = build_one<Callback>("adaptive_gan_switcher", R"({"critic_thresh": [0.5]})");
  ScriptedTrainer t2;
  t2.begin({off.get()});
  CHECK(t2.run({off.get()}, 50, 2.0) == std::string(50, 'C'));
  CHECK(t2.warnings.empty());
}

TEST_CASE("adaptive_gan_switcher's guard count survives a checkpoint round trip", "[switchers]") {
  auto a = build_one<Callback>("adaptive_gan_switcher", R"({"critic_thresh": [0.5], "max_steps": 4})");
  ScriptedTrainer t;
  t.begin({a.get()});
  t.run({a.get()}, 3, 2.0);
  auto b = build_one<Callback>("adaptive_gan_switcher", R"({"critic_thresh": [0.5], "max_steps": 4})");
  b->load_state(a->state());
  t.begin({b.get()});
  CHECK(t.run({b.get()}, 2, 2.0) == "CG");
  CHECK(t.warnings.size() == 1);
}

TEST_CASE("adaptive_gan_switcher thresholds are lists of at most one float", "[switchers]") {
  CHECK_THAT(build_error(R"({"s": {"type": "adaptive_gan_switcher", "params": {"gen_thresh": [1, 2]}}})"),
             Catch::Contains("/nodes/s/params/gen_thresh"));
  CHECK_THAT(build_error(R"({"s": {"type": "adaptive_gan_switcher", "params": {"max_steps": -1}}})"),
             Catch::Contains("/nodes/s/params/max_steps"));
}
