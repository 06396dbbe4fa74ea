// fixed_gan_switcher driven through the Trainer contract.
#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "test_switchers_trainer.hpp"

using namespace ganflow;
using namespace ganflow::test;

TEST_CASE("fixed_gan_switcher(5, 1): five critic batches, then one generator batch", "[switchers]") {
  auto sw = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 5, "n_gen": 1})");
  ScriptedTrainer t;
  t.begin({sw.get()});
  CHECK(t.run({sw.get()}, 18) == "CCCCCGCCCCCGCCCCCG");
}

TEST_CASE("fixed_gan_switcher(1, 1) alternates, starting with whatever mode the trainer is in", "[switchers]") {
  auto sw = build_one<Callback>("fixed_gan_switcher");
  ScriptedTrainer t;
  t.gen = true;  // gen_first
  t.begin({sw.get()});
  CHECK(t.run({sw.get()}, 6) == "GCGCGC");
  auto sw2 = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 2, "n_gen": 3})");
  ScriptedTrainer t2;
  t2.begin({sw2.get()});
  CHECK(t2.run({sw2.get()}, 10) == "CCGGGCCGGG");
}

TEST_CASE("fixed_gan_switcher ignores validation batches and learner stages", "[switchers]") {
  auto sw = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 2, "n_gen": 1})");
  ScriptedTrainer t;
  t.begin({sw.get()});
  CHECK(t.batch({sw.get()}, 1.0) == 'C');
  for (int i = 0; i < 5; ++i) t.batch({sw.get()}, 1.0, /*training=*/false);
  CHECK(t.switches == 0);
  CHECK(t.run({sw.get()}, 3) == "CGC");
  ScriptedTrainer learner;
  learner.gan = false;
  learner.run({sw.get()}, 4);
  CHECK(learner.switches == 0);
}

TEST_CASE("fixed_gan_switcher counters survive a checkpoint round trip", "[switchers]") {
  auto a = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 5, "n_gen": 1})");
  ScriptedTrainer t;
  t.begin({a.get()});
  CHECK(t.run({a.get()}, 3) == "CCC");
  json saved = a->state();
  CHECK(saved == json{{"n_c", 3}, {"n_g", 0}, {"gen_steps", 0}});

  // A resumed fit: new switcher, state restored, on_train_begin at step > 0 keeps it.
  auto b = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 5, "n_gen": 1})");
  b->load_state(json::parse(saved.dump()));
  t.begin({b.get()});
  CHECK(t.run({b.get()}, 4) == "CCGC");
  // A fresh fit (step 0) starts counting afresh.
  ScriptedTrainer fresh;
  fresh.begin({b.get()});
  CHECK(fresh.run({b.get()}, 6) == "CCCCCG");
  CHECK_THROWS_WITH(b->load_state(json{{"n_c", "x"}}), Catch::Contains("'n_c' missing or not a count"));
}

TEST_CASE("fixed_gan_switcher follows a count schedule keyed on the generator steps done", "[switchers]") {
  // 4 critic batches while the generator has done < 2 steps, 3 on every 3rd step, else 2.
  auto sw = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 2, "n_crit_schedule": [[2, 4]], "n_crit_every": [3, 3]})");
  ScriptedTrainer t;
  t.begin({sw.get()});
  CHECK(t.run({sw.get()}, 20) == "CCCCGCCCCGCCGCCCGCCG");
  CHECK(sw->state()["gen_steps"] == 5);
  // Resumed mid-schedule: the count of generator steps comes back, and with it the schedule.
  auto b = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 2, "n_crit_schedule": [[2, 4]], "n_crit_every": [3, 3]})");
  b->load_state(json::parse(sw->state().dump()));
  ScriptedTrainer tb;
  tb.steps = 20;
  tb.gen = t.gen;
  tb.begin({b.get()});
  CHECK(tb.run({b.get()}, 7) == t.run({sw.get()}, 7));

  // The WGAN paper's schedule: 100 critic steps before the generator's first.
  auto wgan = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 5, "n_crit_schedule": [[25, 100]], "n_crit_every": [500, 100]})");
  ScriptedTrainer tw;
  tw.begin({wgan.get()});
  CHECK(tw.run({wgan.get()}, 101) == std::string(100, 'C') + "G");

  // n_gen too: 2 generator batches while none is done yet, then 1.
  auto gen = build_one<Callback>("fixed_gan_switcher", R"({"n_gen": 1, "n_gen_schedule": [[1, 2]]})");
  ScriptedTrainer tg;
  tg.begin({gen.get()});
  CHECK(tg.run({gen.get()}, 7) == "CGGCGCG");
}

TEST_CASE("fixed_gan_switcher refuses a malformed schedule naming node and param", "[switchers]") {
  CHECK_THAT(build_error(R"({"s": {"type": "fixed_gan_switcher", "params": {"n_crit_schedule": [[0, 5]]}}})"),
             Catch::Contains("/nodes/s/params/n_crit_schedule/0/0"));
  CHECK_THAT(build_error(R"({"s": {"type": "fixed_gan_switcher", "params": {"n_crit_schedule": [[25]]}}})"),
             Catch::Contains("/nodes/s/params/n_crit_schedule/0"));
  CHECK_THAT(build_error(R"({"s": {"type": "fixed_gan_switcher", "params": {"n_crit_every": [500]}}})"),
             Catch::Contains("n_crit_every"));
}
