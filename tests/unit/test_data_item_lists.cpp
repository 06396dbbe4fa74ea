// The built-in data nodes on a real pipeline: gan_item_list (noise + images, fastai
// GANItemList, show_xys) and item_list (labels or paired images), and save_image_grid.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>  // getpid

#include "ganflow/framework/data/device_batch.hpp"
#include "ganflow/data.hpp"
#include "ganflow/framework/data/gan_item_list.hpp"
#include "ganflow/image_grid.hpp"
#include "ganflow/framework/graph/executor.hpp"
#include "gan_harness.hpp"
#include "ganflow/framework/plugin/plugin_loader.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/image_io.hpp"

namespace fs = std::filesystem;
using namespace ganflow;

namespace {
using gantest::registry;  // builtins and every plugin of the build tree
using gantest::TempDir;

BuiltGraph build(const json& nodes) {
  Graph g = parse_graph(json{{"seed", 11}, {"nodes", nodes}}.dump());
  validate_graph(g, registry());
  return build_graph(g, registry());
}

std::string graph_error(const json& nodes) {
  try {
    build(nodes);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// n RGB images, each one flat colour (i * 20), in class folders a/ and b/.
void write_folder(const fs::path& root, int n) {
  fs::create_directories(root / "a"), fs::create_directories(root / "b");
  for (int i = 0; i < n; ++i)
    save_image(Image(3, 8, 8, uint8_t(i * 20)), (root / (i % 2 ? "b" : "a") / ("im" + std::to_string(i) + ".png")).string());
}
}  // namespace

TEST_CASE("gan_item_list: noise x made per batch, image y in [-1, 1]", "[data]") {
  auto built = build({{"fm", {{"type", "fashion_mnist"}, {"params", {{"split", "test"}, {"limit", 100}}}}},
                      {"z", {{"type", "noisy_item"}, {"params", {{"noise_sz", 16}}}}},
                      {"data", {{"type", "gan_item_list"}, {"inputs", {{"x", "z"}, {"y", "fm"}}}, {"params", {{"bs", 32}}}}}});
  auto data = std::dynamic_pointer_cast<DataSource>(built.nodes.at("data"));
  REQUIRE(data);
  CHECK(data->batch_size() == 32);
  CHECK(data->batches_per_epoch() == 3);
  data->start_epoch(0, 0, torch::kCPU);
  Batch b;
  int n = 0;
  torch::Tensor first_x;
  while (data->next(b)) {
    CHECK(b.x.sizes() == torch::IntArrayRef({32, 16, 1, 1}));
    CHECK(b.y.sizes() == torch::IntArrayRef({32, 1, 32, 32}));
    CHECK(b.y.dtype() == torch::kFloat);
    CHECK(b.y.min().item<float>() == -1.0f);  // the black padding border
    CHECK(b.y.max().item<float>() <= 1.0f);
    if (n == 0) first_x = b.x;
    else CHECK(!torch::equal(first_x, b.x));
    ++n;
  }
  CHECK(n == 3);
  CHECK(data->skipped_items() == 0);
}

TEST_CASE("gan_item_list: show writes a grid of targets, save_image_grid layout", "[data]") {
  TempDir dir("show");
  write_folder(dir.path / "imgs", 9);
  auto built = build({{"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "imgs").string()}, {"size", 8}}}}},
                      {"z", {{"type", "noisy_item"}}},
                      {"data", {{"type", "gan_item_list"}, {"inputs", {{"x", "z"}, {"y", "imgs"}}}, {"params", {{"bs", 4}}}}}});
  auto data = std::dynamic_pointer_cast<GanItemList>(built.nodes.at("data"));
  REQUIRE(data);
  auto png = (dir.path / "show.png").string();
  data->show(png, 9);
  Image grid = load_image(png, 3);
  CHECK(grid.height == 3 * 10 + 2);  // ceil(sqrt(9)) = 3 rows of 8 px + 2 px gaps
  CHECK(grid.width == 3 * 10 + 2);
  CHECK(int(grid.at(0, 0, 0)) == 0);  // gap

  auto imgs = torch::linspace(-1, 1, 5).view({5, 1, 1, 1}).expand({5, 1, 4, 4}).contiguous();
  auto path = (dir.path / "grid.png").string();
  save_image_grid(imgs, path, 2);
  Image g = load_image(path, 1);
  CHECK(g.width == 2 * 6 + 2);
  CHECK(g.height == 3 * 6 + 2);
  CHECK(int(g.at(0, 2, 2)) == 0);       // -1 -> 0
  CHECK(int(g.at(0, 2, 8)) == 64);      // -0.5 -> 63.75 -> 64
  CHECK(int(g.at(0, 14, 2)) == 255);    // +1 -> 255
  CHECK_THROWS_WITH(save_image_grid(imgs, (dir.path / "none/x.png").string()), Catch::Contains("none/x.png"));
  CHECK_THROWS_AS(save_image_grid(torch::zeros({2, 2, 4, 4}), path), Error);
}

TEST_CASE("gan_item_list: paired source as x and y (crappy -> original)", "[data]") {
  TempDir dir("pairs");
  write_folder(dir.path / "imgs", 6);
  auto built = build({{"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "imgs").string()}, {"size", 8}}}}},
                      {"crap", {{"type", "crappify"}, {"inputs", {{"source", "imgs"}}}, {"params", {{"stamp", false}}}}},
                      {"data", {{"type", "gan_item_list"}, {"inputs", {{"x", "crap"}, {"y", "crap"}}},
                                {"params", {{"bs", 3}, {"threads", 1}}}}}});
  auto data = std::dynamic_pointer_cast<DataSource>(built.nodes.at("data"));
  data->start_epoch(0, 0, torch::kCPU);
  Batch b;
  REQUIRE(data->next(b));
  CHECK(b.x.sizes() == b.y.sizes());
  // Unstamped, a flat colour survives the downscale and JPEG round trip closely.
  CHECK((b.x - b.y).abs().mean().item<float>() < 0.05f);
  data->stop();
  CHECK_THAT(graph_error({{"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "imgs").string()}}}}},
                          {"data", {{"type", "gan_item_list"}, {"inputs", {{"x", "imgs"}, {"y", "imgs"}}}}}}),
             Catch::Contains("same single-image source"));
}

TEST_CASE("item_list: labels for critic pretraining, paired images for the generator", "[data]") {
  TempDir dir("item_list");
  write_folder(dir.path / "imgs", 10);
  auto built = build({{"imgs", {{"type", "image_folder"},
                                {"params", {{"root", (dir.path / "imgs").string()}, {"size", 8}, {"labels", true}}}}},
                      {"data", {{"type", "item_list"}, {"inputs", {{"x", "imgs"}}},
                                {"params", {{"bs", 5}, {"shuffle", false}, {"on_bad_item", "skip"}}}}}});
  auto data = std::dynamic_pointer_cast<DataSource>(built.nodes.at("data"));
  data->start_epoch(0, 0, torch::kCPU);
  Batch b;
  REQUIRE(data->next(b));
  CHECK(b.y.dtype() == torch::kLong);
  CHECK(b.y.sizes() == torch::IntArrayRef({5}));
  // Sorted files: class a holds the even images, b the odd ones; a pixel shows which image.
  for (int64_t k = 0; k < 5; ++k) {
    int value = int(std::lround((b.x[k][0][0][0].item<float>() + 1) * 127.5));
    CHECK(b.y[k].item<int64_t>() == (value / 20) % 2);
  }
  data->stop();

  CHECK_THAT(graph_error({{"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "imgs").string()}}}}},
                          {"data", {{"type", "item_list"}, {"inputs", {{"x", "imgs"}}}}}}),
             Catch::Contains("labelled source"));
  CHECK_THAT(graph_error({{"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "imgs").string()}}}}},
                          {"data", {{"type", "item_list"}, {"inputs", {{"x", "imgs"}}}, {"params", {{"target", "image"}}}}}}),
             Catch::Contains("paired source"));
}

TEST_CASE("item_list: on_bad_item skip counts a corrupt file, error names it", "[data]") {
  TempDir dir("bad_items");
  write_folder(dir.path / "imgs", 8);
  std::ofstream(dir.path / "imgs/a/zz_broken.png") << "not a png";
  auto nodes = [&](const std::string& mode) {
    return json{{"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "imgs").string()}, {"size", 8}}}}},
                {"z", {{"type", "noisy_item"}}},
                {"d", {{"type", "gan_item_list"}, {"inputs", {{"x", "z"}, {"y", "imgs"}}},
                       {"params", {{"bs", 3}, {"drop_last", false}, {"on_bad_item", mode}}}}}};
  };
  auto d = std::dynamic_pointer_cast<DataSource>(build(nodes("skip")).nodes.at("d"));
  d->start_epoch(0, 0, torch::kCPU);
  Batch b;
  int64_t items = 0;
  while (d->next(b)) items += b.y.size(0);
  CHECK(items == 8);
  CHECK(d->skipped_items() == 1);

  auto e = std::dynamic_pointer_cast<DataSource>(build(nodes("error")).nodes.at("d"));
  e->start_epoch(0, 0, torch::kCPU);
  CHECK_THROWS_WITH(
      [&] {
        while (e->next(b)) {
        }
      }(),
      Catch::Contains("node 'imgs'") && Catch::Contains("zz_broken.png"));
}

TEST_CASE("a GAN stage counts skipped bad items in its epoch rows and logs the first one", "[data]") {
  TempDir dir("bad_items_stage");
  write_folder(dir.path / "imgs", 8);
  std::ofstream(dir.path / "imgs/a/zz_broken.png") << "not a png";
  json g = {{"seed", 3}, {"nodes", {
    {"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "imgs").string()}, {"size", 8}}}}},
    {"z", {{"type", "noisy_item"}, {"params", {{"noise_sz", 4}}}}},
    {"d", {{"type", "gan_item_list"}, {"inputs", {{"x", "z"}, {"y", "imgs"}}},
           {"params", {{"bs", 3}, {"drop_last", false}, {"on_bad_item", "skip"}}}}},
    {"g", {{"type", "basic_generator"}, {"params", {{"out_size", 8}, {"n_channels", 3}, {"noise_sz", 4}, {"n_features", 4}}}}},
    {"c", {{"type", "basic_critic"}, {"params", {{"in_size", 8}, {"n_channels", 3}, {"n_features", 4}}}}},
    {"gl", {{"type", "hinge_gen"}}}, {"cl", {{"type", "hinge_crit"}}}, {"s", {{"type", "fixed_gan_switcher"}}},
    {"train", {{"type", "gan"}, {"inputs", {{"data", "d"}, {"generator", "g"}, {"critic", "c"}, {"gen_loss", "gl"},
                                           {"crit_loss", "cl"}, {"switcher", "s"}}},
               {"params", {{"epochs", 2}, {"show_img", false}}}}}}}};
  std::string run = (dir.path / "run").string();
  fs::create_directories(run);
  gantest::run_graph(g.dump(), run);
  std::ifstream rows(run + "/metrics.jsonl");
  int epochs = 0;
  for (std::string line; std::getline(rows, line);) {
    json r = json::parse(line);
    if (r["kind"] != "epoch") continue;
    CHECK(r["skipped_items"] == 1);
    ++epochs;
  }
  CHECK(epochs == 2);
  std::ifstream log_file(run + "/log.txt");
  std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(log, Catch::Contains("warning: train: skipped 1 bad item in epoch 0; the first: ") &&
                      Catch::Contains("zz_broken.png") && Catch::Contains("skipped 1 bad item in epoch 1"));
}

TEST_CASE("the loader's float batches are reused once released, and never while a batch or a view holds them",
          "[data][loader]") {
  ganflow::BatchBuffers buffers;
  const torch::Device cpu(torch::kCPU);
  const torch::Tensor u8 = torch::randint(0, 256, {4, 3, 8, 8}, torch::kUInt8);
  const torch::Tensor want = ganflow::images_to_device(u8, cpu);
  torch::Tensor a = buffers.images(u8, cpu), b = buffers.images(u8, cpu);
  CHECK(torch::equal(a, want));
  CHECK(a.data_ptr() != b.data_ptr());  // a is still held: b has a buffer of its own
  const void* a_memory = a.data_ptr();
  torch::Tensor view = a.narrow(0, 0, 2);
  a = torch::Tensor();
  torch::Tensor c = buffers.images(u8 + 1, cpu);
  CHECK(c.data_ptr() != a_memory);  // a's memory is still seen through the view
  CHECK(torch::equal(view, want.narrow(0, 0, 2)));
  view = torch::Tensor();
  torch::Tensor d = buffers.images(u8, cpu);
  CHECK(d.data_ptr() == a_memory);  // released: reused, and converted as images_to_device does
  CHECK(torch::equal(d, want));
  CHECK(torch::equal(c, ganflow::images_to_device(u8 + 1, cpu)));
  // Another shape (an epoch's last, smaller batch) gets a buffer of its own shape.
  torch::Tensor e = buffers.images(u8.narrow(0, 0, 3), cpu);
  CHECK(e.size(0) == 3);
  CHECK(torch::equal(e, want.narrow(0, 0, 3)));
}
