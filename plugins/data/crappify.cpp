#include "crappify.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <ganflow/fields.hpp>
#include <ganflow/item_seed.hpp>

#include "digit_stamp.hpp"
#include "item_rng.hpp"
#include "slot_write.hpp"

namespace ganflow::data {

Crappify::Crappify(std::shared_ptr<ItemSource> source, const CrappifySettings& s)
    : source_(std::move(source)), scale_(s.scale), quality_min_(s.quality_min), quality_max_(s.quality_max),
      stamp_(s.stamp) {
  if (!source_) throw Error("needs a source", "", "");
  if (quality_min_ > quality_max_)
    throw Error("quality_min " + std::to_string(quality_min_) + " is above quality_max " + std::to_string(quality_max_),
                "", "quality_min");
  original_ = source_->fields().back();
}

Image Crappify::degrade(const Image& original, uint64_t seed) const {
  // Decorrelated from the inner source's own augmentation, which sees the same seed.
  ItemRng rng(seed ^ 0x6372617070696679ULL);
  int h = std::max(1, int(std::lround(original.height * scale_))), w = std::max(1, int(std::lround(original.width * scale_)));
  Image small = resize(original, h, w);
  int q = rng.uniform_int(quality_min_, quality_max_);
  if (stamp_) {
    int scale = std::max(1, h / 48);
    int x = rng.uniform_int(0, w / 2), y = rng.uniform_int(0, h / 2);
    stamp_digits(small, std::to_string(q), x, y, scale, 255);
  }
  auto jpeg = encode_jpeg(small, q);
  Image back = decode_image(jpeg.data(), jpeg.size(), original.channels, "crappify (re-encoded JPEG)");
  return resize_bilinear(back, original.height, original.width);
}

void Crappify::read(std::size_t index, uint8_t* const* slots, uint64_t seed) const {
  auto shapes = source_->fields();
  std::vector<Image> parts;
  std::vector<uint8_t*> ptrs;
  for (auto& s : shapes) parts.emplace_back(s.channels, s.height, s.width);
  for (auto& img : parts) ptrs.push_back(img.data.data());
  source_->read(index, ptrs.data(), seed);
  const Image& original = parts.back();
  write_slot(degrade(original, seed), original_, slots[0], "crappify item " + std::to_string(index));
  std::memcpy(slots[1], original.data.data(), original.bytes());
}

void Crappify::write_pairs(const std::string& dir, uint64_t seed) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const char* sub : {"crappy", "original"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) throw Error("cannot create " + (fs::path(dir) / sub).string() + ": " + ec.message(), "", "write_to");
  }
  Image crappy(original_.channels, original_.height, original_.width), original = crappy;
  for (std::size_t i = 0; i < size(); ++i) {
    uint8_t* slots[2] = {crappy.data.data(), original.data.data()};
    read(i, slots, item_seed(seed, 0, i));
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.png", i);
    save_image(crappy, (fs::path(dir) / "crappy" / name).string());
    save_image(original, (fs::path(dir) / "original" / name).string());
  }
}

NodeSpec crappify_spec() {
  NodeSpec s("crappify", NodeKind::Source,
             "(crappy, original) pairs from a source: downscale, stamp the quality, JPEG at a random quality, scale back.");
  s.input("source", {NodeKind::Source}, "The original images (its last field, e.g. the y of a paired source).");
  using S = CrappifySettings;
  Fields<S> f(s);
  f.add("scale", &S::scale, 0.5, "Downscale factor before the JPEG round trip.").range(0.01, 1.0);
  f.add("quality_min", &S::quality_min, 10, "Lowest JPEG quality (fastai: 10).").range(1, 100);
  f.add("quality_max", &S::quality_max, 70, "Highest JPEG quality (fastai: 70).").range(1, 100);
  f.add("stamp", &S::stamp, true,
        "Draw the JPEG quality as a white number in the top-left quadrant (fastai crappify.py).");
  f.add("write_to", &S::write_to, "",
        "If set: when built, write every pair to <write_to>/crappy and <write_to>/original as PNG.");
  s.factory = [f](const BuildContext& c) {
    CrappifySettings k = f.read(c.params());
    auto node = std::make_shared<Crappify>(c.input<ItemSource>("source"), k);
    if (!k.write_to.empty()) node->write_pairs(k.write_to, c.seed());
    return node;
  };
  return s;
}

}  // namespace ganflow::data
