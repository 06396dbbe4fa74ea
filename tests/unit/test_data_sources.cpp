// The data plugin's sources, built through a graph from the real libganflow_data.so:
// Fashion-MNIST, image folders (labels, paired, random transforms), crappify, NoisyItem,
// and each bad-input case with the file in its message.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>  // getpid

#include "ganflow/data.hpp"
#include "ganflow/framework/graph/executor.hpp"
#include "gan_harness.hpp"
#include "ganflow/framework/plugin/plugin_loader.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/image_io.hpp"
#include "ganflow/item_seed.hpp"
#include "ganflow/item_source.hpp"

namespace fs = std::filesystem;
using namespace ganflow;

namespace {
using gantest::registry;  // builtins and every plugin of the build tree
using gantest::TempDir;

BuiltGraph build(const std::string& nodes) {
  Graph g = parse_graph(R"({"seed": 5, "nodes": )" + nodes + "}");
  validate_graph(g, registry());
  return build_graph(g, registry());
}

std::shared_ptr<ItemSource> source(const std::string& type, const json& params) {
  json nodes = {{"s", {{"type", type}, {"params", params}}}};
  return std::dynamic_pointer_cast<ItemSource>(build(nodes.dump()).nodes.at("s"));
}

std::string source_error(const std::string& type, const json& params) {
  try {
    source(type, params);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// All fields of one item.
std::vector<Image> read_item(const ItemSource& s, std::size_t i, uint64_t seed = 0) {
  std::vector<Image> out;
  std::vector<uint8_t*> ptrs;
  for (auto& f : s.fields()) out.emplace_back(f.channels, f.height, f.width);
  for (auto& img : out) ptrs.push_back(img.data.data());
  s.read(i, ptrs.data(), seed);
  return out;
}

// A w x h image whose pixels encode (value, x): distinct per file and asymmetric, so flips show.
Image pattern(int c, int h, int w, int value) {
  Image img(c, h, w);
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) img.at(ch, y, x) = uint8_t((value * 16 + x * 4 + ch) % 256);
  return img;
}

void write_gz(const fs::path& p, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  REQUIRE(f);
  REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  gzclose(f);
}

std::vector<uint8_t> idx(uint32_t magic, std::vector<uint32_t> dims, std::size_t data_bytes) {
  std::vector<uint8_t> b;
  auto put = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
  };
  put(magic);
  for (auto d : dims) put(d);
  b.resize(b.size() + data_bytes, 7);
  return b;
}
}  // namespace

TEST_CASE("fashion_mnist: 28 -> 32 padding, labels 0..9, class filter, limit", "[data]") {
  auto all = source("fashion_mnist", {{"split", "test"}});
  REQUIRE(all->size() == 10000);
  REQUIRE(all->fields().size() == 1);
  CHECK(all->fields()[0].channels == 1);
  CHECK(all->fields()[0].height == 32);
  CHECK(all->fields()[0].width == 32);
  CHECK(all->classes().size() == 10);

  // Item 0 of the test split, straight from the file, sits in the middle of a black border.
  const char* root = std::getenv("GANFLOW_FASHION_MNIST_ROOT");  // as the plugin: scripts/gpu-check
  const std::string dir = root && *root ? root : "/usr/share/datasets/fashion-mnist";
  gzFile f = gzopen((dir + "/t10k-images-idx3-ubyte.gz").c_str(), "rb");
  REQUIRE(f);
  std::vector<uint8_t> raw(16 + 784);
  REQUIRE(gzread(f, raw.data(), unsigned(raw.size())) == int(raw.size()));
  gzclose(f);
  Image img = read_item(*all, 0).front();
  int border = 0, mismatches = 0;
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      bool inside = y >= 2 && y < 30 && x >= 2 && x < 30;
      if (!inside) border += img.at(0, y, x);
      else mismatches += img.at(0, y, x) != raw[16 + (y - 2) * 28 + (x - 2)];
    }
  CHECK(border == 0);
  CHECK(mismatches == 0);

  std::set<int64_t> labels;
  for (std::size_t i = 0; i < all->size(); ++i) labels.insert(all->label(i));
  CHECK(labels == std::set<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});

  auto some = source("fashion_mnist", {{"split", "test"}, {"classes", {3, 7}}, {"limit", 50}});
  CHECK(some->size() == 50);
  for (std::size_t i = 0; i < some->size(); ++i) CHECK((some->label(i) == 3 || some->label(i) == 7));

  auto small = source("fashion_mnist", {{"split", "test"}, {"size", 16}, {"fit", "resize"}, {"limit", 3}});
  CHECK(small->fields()[0].height == 16);
  CHECK_THAT(source_error("fashion_mnist", {{"split", "test"}, {"size", 16}}), Catch::Contains("fit = resize"));
}

TEST_CASE("fashion_mnist: bad IDX files are named", "[data]") {
  TempDir dir("idx");
  auto images = dir.path / "t10k-images-idx3-ubyte.gz", labels = dir.path / "t10k-labels-idx1-ubyte.gz";
  json params = {{"root", dir.str()}, {"split", "test"}};
  write_gz(labels, idx(0x801, {4}, 4));

  SECTION("missing") { CHECK_THAT(source_error("fashion_mnist", params), Catch::Contains(images.string()) && Catch::Contains("not found")); }
  SECTION("bad magic") {
    write_gz(images, idx(0x1234, {4, 28, 28}, 4 * 784));
    CHECK_THAT(source_error("fashion_mnist", params),
               Catch::Contains(images.string()) && Catch::Contains("bad IDX magic number 0x00001234, expected 0x00000803"));
  }
  SECTION("truncated data") {
    write_gz(images, idx(0x803, {4, 28, 28}, 3 * 784));
    CHECK_THAT(source_error("fashion_mnist", params), Catch::Contains(images.string()) && Catch::Contains("truncated IDX data"));
  }
  SECTION("truncated gzip stream") {
    write_gz(images, idx(0x803, {4, 28, 28}, 4 * 784));
    auto size = fs::file_size(images);
    fs::resize_file(images, size / 2);
    CHECK_THAT(source_error("fashion_mnist", params), Catch::Contains(images.string()));
  }
  SECTION("counts differ") {
    write_gz(images, idx(0x803, {5, 28, 28}, 5 * 784));
    CHECK_THAT(source_error("fashion_mnist", params), Catch::Contains("5 images") && Catch::Contains("4 labels"));
  }
  SECTION("good") {
    write_gz(images, idx(0x803, {4, 28, 28}, 4 * 784));
    CHECK(source("fashion_mnist", params)->size() == 4);
  }
}

TEST_CASE("image_folder: sizes, grey/RGB, labels from sub-folders in a given class order", "[data]") {
  TempDir dir("folder");
  fs::create_directories(dir.path / "real"), fs::create_directories(dir.path / "fake/deeper");
  save_image(pattern(3, 20, 30, 1), (dir.path / "real/a.png").string());
  save_image(pattern(1, 30, 20, 2), (dir.path / "real/b.jpg").string(), 95);
  save_image(pattern(3, 16, 16, 3), (dir.path / "fake/deeper/c.png").string());

  auto s = source("image_folder", {{"root", dir.str()}, {"size", 16}, {"channels", 1}});
  REQUIRE(s->size() == 3);
  CHECK(s->fields()[0].channels == 1);
  for (std::size_t i = 0; i < 3; ++i) CHECK(read_item(*s, i)[0].height == 16);
  CHECK(s->label(0) == -1);

  auto l = source("image_folder", {{"root", dir.str()}, {"size", 8}, {"labels", true}, {"classes", {"fake", "real"}}});
  REQUIRE(l->classes() == std::vector<std::string>{"fake", "real"});
  CHECK(l->label(0) == 0);  // fake/deeper/c.png
  CHECK(l->label(1) == 1);
  CHECK(l->label(2) == 1);
  auto r = source("image_folder", {{"root", dir.str()}, {"labels", true}, {"classes", {"real"}}});
  CHECK(r->size() == 2);
  CHECK_THAT(source_error("image_folder", {{"root", dir.str()}, {"labels", true}, {"classes", {"nope"}}}),
             Catch::Contains("class 'nope'"));
  CHECK_THAT(source_error("image_folder", {{"root", dir.str()}, {"channels", 2}}), Catch::Contains("param 'channels'"));
}

TEST_CASE("image_folder: resize crop / pad / squish keep the expected pixels", "[data]") {
  TempDir dir("resize");
  Image wide(1, 4, 8, 50);
  for (int y = 0; y < 4; ++y) wide.at(0, y, 0) = 200;  // a bright left column
  save_image(wide, (dir.path / "w.png").string());
  auto crop = source("image_folder", {{"root", dir.str()}, {"size", 4}, {"channels", 1}, {"resize", "crop"}});
  CHECK(int(read_item(*crop, 0)[0].at(0, 0, 0)) == 50);  // centre crop drops the left column
  auto pad = source("image_folder", {{"root", dir.str()}, {"size", 8}, {"channels", 1}, {"resize", "pad"}});
  Image p = read_item(*pad, 0)[0];
  CHECK(int(p.at(0, 0, 3)) == 0);  // black band above
  CHECK(int(p.at(0, 3, 0)) == 200);
  auto squish = source("image_folder", {{"root", dir.str()}, {"size", 4}, {"channels", 1}, {"resize", "squish"}});
  CHECK(int(read_item(*squish, 0)[0].at(0, 1, 0)) == 125);  // area average of 200 and 50
}

TEST_CASE("image_folder: random crop and flip are deterministic per seed and vary between seeds", "[data]") {
  TempDir dir("random");
  save_image(pattern(3, 32, 48, 1), (dir.path / "a.png").string());
  auto s = source("image_folder", {{"root", dir.str()}, {"size", 16}, {"random_crop", true}, {"flip", true}});
  CHECK(read_item(*s, 0, 42)[0].data == read_item(*s, 0, 42)[0].data);
  std::set<std::vector<uint8_t>> seen;
  for (uint64_t seed = 0; seed < 20; ++seed) seen.insert(read_item(*s, 0, seed)[0].data);
  CHECK(seen.size() > 5);
}

TEST_CASE("image_folder: missing folder, empty folder, bad files", "[data]") {
  TempDir dir("badfolder");
  CHECK_THAT(source_error("image_folder", {{"root", (dir.path / "nope").string()}}),
             Catch::Contains("node 's' param 'root'") && Catch::Contains((dir.path / "nope").string()) &&
                 Catch::Contains("does not exist"));
  fs::create_directories(dir.path / "empty");
  std::ofstream(dir.path / "empty/readme.txt") << "no images";
  CHECK_THAT(source_error("image_folder", {{"root", (dir.path / "empty").string()}}), Catch::Contains("no PNG or JPEG images"));

  fs::create_directories(dir.path / "bad");
  std::ofstream(dir.path / "bad/garbage.png") << "this is not an image at all";
  auto s = source("image_folder", {{"root", (dir.path / "bad").string()}});
  CHECK_THROWS_WITH(read_item(*s, 0), Catch::Contains((dir.path / "bad/garbage.png").string()));
}

TEST_CASE("paired_image_folder: matched by name, one random draw for x and y", "[data]") {
  TempDir dir("paired");
  fs::create_directories(dir.path / "x"), fs::create_directories(dir.path / "y");
  for (int i = 0; i < 3; ++i) {
    std::string name = "im" + std::to_string(i) + ".png";
    Image y = pattern(3, 24, 24, i);
    save_image(y, (dir.path / "y" / name).string());
    save_image(convert_channels(y, 1), (dir.path / "x" / name).string());
  }
  auto s = source("paired_image_folder", {{"x_root", (dir.path / "x").string()}, {"y_root", (dir.path / "y").string()},
                                          {"channels", 1}, {"y_channels", 3}, {"size", 12}, {"random_crop", true}, {"flip", true}});
  REQUIRE(s->fields().size() == 2);
  CHECK(s->fields()[0].channels == 1);
  CHECK(s->fields()[1].channels == 3);
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto item = read_item(*s, 1, seed);
    CHECK(item[0].data == convert_channels(item[1], 1).data);  // the same crop and flip on both
  }
  save_image(pattern(3, 24, 24, 9), (dir.path / "x/extra.png").string());
  CHECK_THAT(source_error("paired_image_folder", {{"x_root", (dir.path / "x").string()}, {"y_root", (dir.path / "y").string()}}),
             Catch::Contains("1 image(s)") && Catch::Contains((dir.path / "y/extra.png").string()));
  CHECK_THAT(source_error("paired_image_folder", {{"x_root", (dir.path / "x").string()}, {"y_root", (dir.path / "none").string()}}),
             Catch::Contains("param 'y_root'"));
}

TEST_CASE("crappify: (crappy, original) pairs, deterministic per item and seed, written to a folder with the loader's item seeds", "[data]") {
  TempDir dir("crappify");
  fs::create_directories(dir.path / "in");
  for (int i = 0; i < 4; ++i) save_image(pattern(3, 32, 32, i), (dir.path / "in" / ("p" + std::to_string(i) + ".png")).string());
  json nodes = {{"imgs", {{"type", "image_folder"}, {"params", {{"root", (dir.path / "in").string()}, {"size", 32}}}}},
                {"crap", {{"type", "crappify"}, {"inputs", {{"source", "imgs"}}},
                          {"params", {{"write_to", (dir.path / "out").string()}}}}}};
  auto built = build(nodes.dump());
  auto c = std::dynamic_pointer_cast<ItemSource>(built.nodes.at("crap"));
  auto orig = std::dynamic_pointer_cast<ItemSource>(built.nodes.at("imgs"));
  REQUIRE(c->fields().size() == 2);
  auto a = read_item(*c, 2, 7), b = read_item(*c, 2, 7), other = read_item(*c, 2, 8);
  CHECK(a[0].data == b[0].data);
  CHECK(a[1].data == read_item(*orig, 2, 7)[0].data);
  CHECK(a[0].data != a[1].data);
  CHECK(a[0].data != other[0].data);
  for (int i = 0; i < 4; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%06d.png", i);
    CHECK(fs::exists(dir.path / "out/crappy" / name));
    CHECK(fs::exists(dir.path / "out/original" / name));
    // Written with the loader's rule: the pair a loader seeded like the node reads in epoch 0.
    Image written = load_image((dir.path / "out/crappy" / name).string(), 3);
    CHECK(written.data == read_item(*c, std::size_t(i), item_seed(node_seed(5, "crap"), 0, std::size_t(i)))[0].data);
  }
  auto pairs = source("paired_image_folder", {{"x_root", (dir.path / "out/crappy").string()},
                                              {"y_root", (dir.path / "out/original").string()}, {"size", 32}});
  CHECK(pairs->size() == 4);
}

TEST_CASE("noisy_item: randn [n, noise_sz, 1, 1] on the requested device", "[data]") {
  json nodes = {{"z", {{"type", "noisy_item"}, {"params", {{"noise_sz", 12}}}}}};
  auto z = std::dynamic_pointer_cast<NoiseSource>(build(nodes.dump()).nodes.at("z"));
  REQUIRE(z);
  auto t = z->sample(500, torch::kCPU);
  CHECK(t.sizes() == torch::IntArrayRef({500, 12, 1, 1}));
  CHECK(std::abs(t.mean().item<double>()) < 0.05);
  CHECK(std::abs(t.std().item<double>() - 1.0) < 0.05);
  CHECK(!torch::equal(t, z->sample(500, torch::kCPU)));  // fresh every batch
}

TEST_CASE("noisy_item draw_on cpu: the CPU generator's numbers, moved to the requested device", "[data]") {
  json nodes = {{"z", {{"type", "noisy_item"}, {"params", {{"noise_sz", 12}, {"draw_on", "cpu"}}}}}};
  auto z = std::dynamic_pointer_cast<NoiseSource>(build(nodes.dump()).nodes.at("z"));
  REQUIRE(z);
  torch::manual_seed(11);
  auto t = z->sample(6, torch::kCPU);
  torch::manual_seed(11);
  CHECK(torch::equal(t, torch::randn({6, 12, 1, 1})));
  if (torch::cuda::is_available()) {  // the same numbers on the GPU (scripts/gpu-check)
    torch::manual_seed(11);
    auto g = z->sample(6, torch::Device(torch::kCUDA, 0));
    CHECK(g.is_cuda());
    CHECK(torch::equal(g.cpu(), t));
  }
}
