// gan_discriminative_lr with a switcher, driven through the Trainer contract.
#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "test_switchers_trainer.hpp"

using namespace ganflow;
using namespace ganflow::test;

TEST_CASE("gan_discriminative_lr multiplies only critic training steps and restores the lr", "[switchers][callbacks]") {
  auto lr = build_one<Callback>("gan_discriminative_lr", R"({"mult_lr": 5})");
  auto sw = build_one<Callback>("fixed_gan_switcher", R"({"n_crit": 2, "n_gen": 1})");
  ScriptedTrainer t;
  t.lr_value = 1e-3;
  std::vector<Callback*> cbs{sw.get(), lr.get()};  // listed after the switcher, still runs before it
  t.begin(cbs);
  CHECK(t.run(cbs, 6) == "CCGCCG");
  REQUIRE(t.lr_at_step.size() == 6);
  for (int i = 0; i < 6; ++i) {
    INFO("step " << i);
    CHECK(t.lr_at_step[i] == Approx(i % 3 == 2 ? 1e-3 : 5e-3));
  }
  CHECK(t.lr_value == Approx(1e-3));  // every critic step switched back, including the one before a switch
  // Validation batches in critic mode are not scaled.
  t.batch(cbs, 1.0, /*training=*/false);
  CHECK(t.lr_value == Approx(1e-3));
}

TEST_CASE("gan_discriminative_lr keeps its factor under a schedule and never leaves the lr multiplied", "[switchers][callbacks]") {
  auto lr = build_one<Callback>("gan_discriminative_lr", R"({"mult_lr": 4})");
  ScriptedTrainer t;
  std::vector<Callback*> cbs{lr.get()};
  // One-cycle style: the trainer sets the scheduled lr before plugin on_batch_begin.
  for (double scheduled : {1e-4, 2e-4, 3e-4}) {
    t.lr_value = scheduled;
    t.batch(cbs, 1.0);
    CHECK(t.lr_at_step.back() == Approx(4 * scheduled));
    CHECK(t.lr_value == Approx(scheduled));
  }
  // A batch that ends without a step (e.g. a skipped non-finite loss) is restored at batch end.
  t.lr_value = 1e-3;
  lr->on_batch_begin(t);
  CHECK(t.lr_value == Approx(4e-3));
  lr->on_batch_end(t);
  CHECK(t.lr_value == Approx(1e-3));
  // A switch between batch begin and step end still divides back exactly once.
  lr->on_batch_begin(t);
  t.switch_mode();
  lr->on_step_end(t);
  lr->on_step_end(t);
  CHECK(t.lr_value == Approx(1e-3));
  // Generator steps and learner stages are untouched.
  t.gen = true;
  t.batch(cbs, 1.0);
  CHECK(t.lr_at_step.back() == Approx(1e-3));
  ScriptedTrainer learner;
  learner.gan = false;
  learner.batch(cbs, 1.0);
  CHECK(learner.lr_at_step.back() == Approx(1e-3));
}
