#pragma once
// Image files and PIL's own decode of each, written by a tests/python/make_pil_*.py script, for
// the tests that ganflow's decoders give the pixels PIL gives (torchvision's ImageFolder loads
// through PIL).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ganflow/image_io.hpp"
#include "test_support.hpp"

namespace gantest {

struct PilReference {
  std::string name;  // the file is <dir>/<name>.<extension>
  int height = 0, width = 0, channels = 0;
  std::vector<uint8_t> hwc;  // PIL's pixels
};

// Runs `script` DIR and reads back its manifest.json and each <name>.raw.
inline std::vector<PilReference> pil_references(const std::string& script, const std::filesystem::path& dir) {
  const auto made = ganflow::test::run_python(script, {dir.string()});
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  std::ifstream manifest(dir / "manifest.json");
  std::vector<PilReference> refs;
  for (const auto& m : nlohmann::json::parse(manifest)) {
    PilReference r{m["name"], m["height"], m["width"], m["channels"], {}};
    std::ifstream raw(dir / (r.name + ".raw"), std::ios::binary);
    r.hwc.assign(std::istreambuf_iterator<char>(raw), std::istreambuf_iterator<char>());
    REQUIRE(r.hwc.size() == std::size_t(r.height) * r.width * r.channels);
    refs.push_back(std::move(r));
  }
  return refs;
}

// How many of `img`'s values differ from PIL's (after checking the shapes agree).
inline std::size_t values_differing(const ganflow::Image& img, const PilReference& ref) {
  REQUIRE((img.channels == ref.channels && img.height == ref.height && img.width == ref.width));
  std::size_t differ = 0;
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        differ += img.at(c, y, x) != ref.hwc[(std::size_t(y) * img.width + x) * img.channels + c];
  return differ;
}

}  // namespace gantest
