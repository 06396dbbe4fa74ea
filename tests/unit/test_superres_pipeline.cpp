// The superres pipeline in-process at toy size: the stage hand-off (the generator and critic the
// GAN starts from are, tensor for tensor, those the learner stages trained), the files the
// superres stages write, and adaptive_gan_switcher's starvation guard firing in a real run.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gan_harness.hpp"
#include "test_support.hpp"
#include "ganflow/callback.hpp"
#include "ganflow/framework/train/checkpoint.hpp"
#include "ganflow/image_io.hpp"
#include "ganflow/model.hpp"

namespace fs = std::filesystem;
using namespace ganflow;
using ganflow::test::build_error;
using ganflow::test::same_state;

namespace {
// Saves the GAN stage's full checkpoint before its first batch: what the GAN starts from.
class CheckpointAtStart : public Callback {
 public:
  void on_train_begin(Trainer& t) override { t.save_checkpoint_as("start"); }
};

void register_checkpoint_at_start() {
  static bool done = [] {
    NodeSpec s("test_checkpoint_at_start", NodeKind::Callback, "Test: checkpoint <stage>_start.pt at train begin.");
    s.factory = [](const BuildContext&) { return std::make_shared<CheckpointAtStart>(); };
    gantest::registry().add(std::move(s));
    return true;
  }();
  (void)done;
}

// The toy pipeline: Fashion-MNIST 32 px, crappified; critic_thresh and max_steps as given.
std::string pipeline(const std::string& critic_thresh, int64_t max_steps, int64_t gan_batches) {
  std::ostringstream g;
  g << R"({"name": "superres_toy", "seed": 7, "nodes": {
    "originals": {"type": "fashion_mnist", "params": {"size": 32, "limit": 64}},
    "pairs": {"type": "crappify", "inputs": {"source": "originals"}},
    "gen_data": {"type": "item_list", "inputs": {"x": "pairs"}, "params": {"target": "image", "bs": 16, "threads": 1}},
    "generator": {"type": "unet_generator", "params": {"n_channels": 1, "nf": 8, "n_down": 2, "y_range": [-1.1, 1.1]}},
    "mse": {"type": "mse"},
    "pretrain_gen": {"type": "learner", "inputs": {"data": "gen_data", "model": "generator", "loss": "mse"},
                     "params": {"epochs": 1, "max_batches": 3, "lr": 3e-3, "pct_start": 0.8}},
    "save_gen": {"type": "save_predictions", "inputs": {"model": "generator", "source": "pairs", "after": ["pretrain_gen"]},
                 "params": {"folder": "run:critic_data/fake", "targets_folder": "run:critic_data/real",
                            "weights": "run:generator_pretrained.pt", "limit": 32}},
    "critic_images": {"type": "image_folder", "inputs": {"after": ["save_gen"]},
                      "params": {"root": "run:critic_data", "channels": 1, "size": 32, "labels": true, "classes": ["fake", "real"]}},
    "crit_data": {"type": "item_list", "inputs": {"x": "critic_images"}, "params": {"bs": 16, "threads": 1}},
    "critic": {"type": "gan_critic", "params": {"n_channels": 1, "nf": 8, "n_blocks": 1}},
    "bce": {"type": "bce_with_logits"},
    "bce_patch": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
    "accuracy": {"type": "accuracy_thresh_expand"},
    "pretrain_crit": {"type": "learner", "inputs": {"data": "crit_data", "model": "critic", "loss": "bce_patch", "metrics": ["accuracy"]},
                      "params": {"epochs": 1, "max_batches": 2}},
    "gan_data": {"type": "gan_item_list", "inputs": {"x": "pairs", "y": "pairs"}, "params": {"bs": 8, "threads": 1}},
    "gen_loss": {"type": "gan_gen_loss", "inputs": {"loss_crit": "bce_patch", "loss_gen": "mse"}, "params": {"weights_gen": [1.0, 50.0]}},
    "crit_loss": {"type": "gan_crit_loss", "inputs": {"loss_crit": "bce_patch"}},
    "switcher": {"type": "adaptive_gan_switcher", "params": {"critic_thresh": )"
    << critic_thresh << R"(, "max_steps": )" << max_steps << R"(}},
    "disc_lr": {"type": "gan_discriminative_lr", "params": {"mult_lr": 5.0}},
    "at_start": {"type": "test_checkpoint_at_start"},
    "gan": {"type": "gan_from_learners",
            "inputs": {"gen_learner": "pretrain_gen", "crit_learner": "pretrain_crit", "data": "gan_data", "gen_loss": "gen_loss",
                       "crit_loss": "crit_loss", "switcher": "switcher", "callbacks": ["disc_lr", "at_start"], "after": ["save_gen"]},
            "params": {"epochs": 1, "max_batches": )"
    << gan_batches << R"(, "lr": 1e-4, "betas": [0.0, 0.99], "show_img": false}},
    "test_originals": {"type": "fashion_mnist", "params": {"split": "test", "size": 32, "limit": 16}},
    "test_pairs": {"type": "crappify", "inputs": {"source": "test_originals"}},
    "evaluate": {"type": "evaluate_superres", "inputs": {"model": "generator", "source": "test_pairs", "after": ["gan"]},
                 "params": {"pretrained_weights": "run:generator_pretrained.pt", "limit": 16, "grid_rows": 4}}
  }})";
  return g.str();
}

StateDict file_dict(const std::string& path) { return load_state_dict_file(path); }

StateDict checkpoint_part(const std::string& path, const std::string& part) {
  return to_state_dict(load_pickle(path).toGenericDict().at(part), path);
}

bool same_module(torch::nn::Module& m, const StateDict& d) { return same_state(state_dict(m), d); }

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

int64_t count(const std::string& text, const std::string& what) {
  int64_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::size_t pngs(const std::string& dir) {
  std::size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".png";
  return n;
}
}  // namespace

TEST_CASE("superres pipeline: the GAN starts from the pretrained generator and critic, guard fires", "[superres]") {
  register_checkpoint_at_start();
  const std::string dir = gantest::temp_dir("superres_pipeline");
  // critic_thresh 0 can never be reached by a BCE loss: without the guard the critic would train forever.
  auto built = gantest::run_graph(pipeline("[0.0]", 3, 8), dir);

  // Stage 1's result: the learner's final file and the snapshot save_predictions took after it.
  const StateDict pretrained = file_dict(dir + "/pretrain_gen_model.pt");
  const StateDict snapshot = file_dict(dir + "/generator_pretrained.pt");
  CHECK(same_state(pretrained, snapshot));
  // The GAN's own checkpoint before its first batch: parameter for parameter stage 1's generator
  // and stage 3's critic.
  const std::string start = dir + "/checkpoints/gan_start.pt";
  REQUIRE(fs::exists(start));
  CHECK(same_state(checkpoint_part(start, "generator"), pretrained));
  CHECK(same_state(checkpoint_part(start, "critic"), file_dict(dir + "/pretrain_crit_model.pt")));
  // The graph's generator node is that very object, and the GAN trained it on (the guard let it).
  auto gen = std::dynamic_pointer_cast<Model>(built.nodes.at("generator"));
  REQUIRE(gen);
  CHECK_FALSE(same_module(gen->module(), pretrained));

  // Step 4's folders and step 5's outputs.
  CHECK(pngs(dir + "/critic_data/fake") == 32);
  CHECK(pngs(dir + "/critic_data/real") == 32);
  REQUIRE(fs::exists(dir + "/before_after.png"));
  // 4 rows (grid_rows) of crappy | pretrained | GAN | original, 32 px each with 2-px gaps.
  ganflow::Image grid = ganflow::load_image(dir + "/before_after.png", 1);
  CHECK((grid.height == 4 * 34 + 2 && grid.width == 4 * 34 + 2));
  auto scores = gantest::read_json(dir + "/evaluate.json");
  CHECK(scores.at("items") == 16);
  CHECK(scores.at("mse_gan_vs_pretrained").get<double>() > 0.0);
  CHECK(scores.at("psnr_gan").get<double>() > 0.0);

  // The starvation guard: 8 batches, the critic gives up after 3 each time -> C C C G C C C G.
  const std::string log = read_file(dir + "/log.txt");
  INFO(log);
  CHECK(count(log, "ran 3 batches without a loss below critic_thresh 0") == 2);
}

TEST_CASE("superres pipeline: without the guard an unreachable critic_thresh starves the generator", "[superres]") {
  register_checkpoint_at_start();
  const std::string dir = gantest::temp_dir("superres_starved");
  auto built = gantest::run_graph(pipeline("[0.0]", 0, 6), dir);
  auto gen = std::dynamic_pointer_cast<Model>(built.nodes.at("generator"));
  REQUIRE(gen);
  // fastai's behaviour (max_steps 0): every batch went to the critic; the generator never moved.
  CHECK(same_module(gen->module(), file_dict(dir + "/pretrain_gen_model.pt")));
  CHECK(count(read_file(dir + "/log.txt"), "switching anyway") == 0);
  auto scores = gantest::read_json(dir + "/evaluate.json");
  CHECK(scores.at("mse_gan_vs_pretrained").get<double>() == 0.0);
}

TEST_CASE("superres stages: bad params name the param", "[superres]") {
  CHECK_THAT(build_error(R"({"m": {"type": "unet_generator"}, "s": {"type": "fashion_mnist", "params": {"limit": 4}},
      "p": {"type": "save_predictions", "inputs": {"model": "m", "source": "s"}, "params": {"folder": "run:x"}}})"),
             Catch::Contains("folder"));
  CHECK_THAT(build_error(R"({"m": {"type": "unet_generator"}, "s": {"type": "fashion_mnist", "params": {"limit": 4}},
      "e": {"type": "evaluate_superres", "inputs": {"model": "m", "source": "s"}, "params": {"pretrained_weights": "w.pt", "grid": ""}}})"),
             Catch::Contains("(x, target) items"));
  CHECK_THAT(build_error(R"({"f": {"type": "image_folder", "params": {"root": "run:nowhere"}}})"),
             Catch::Contains("root"));
}
