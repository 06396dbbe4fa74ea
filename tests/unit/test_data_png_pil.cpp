// ganflow decodes a PNG to the pixels PIL gives (torchvision's ImageFolder loads through PIL):
// every row filter at 1-4 bytes per pixel with the data over several IDAT chunks, Paeth's ties, PIL's own
// grey, RGB and RGBA files (alpha dropped on request) through the fast decoder, and a palette
// file through the general one. An unknown row filter is an error naming the file and row.
// The files and PIL's pixels come from tests/python/make_pil_pngs.py.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ganflow/image_io.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using ganflow::Image;
using ganflow::load_image;

TEST_CASE("PNG decodes to the pixels PIL decodes at every row filter and pixel size", "[data]") {
  const fs::path dir = ganflow::test::scratch_dir("png_pil");
  const auto made = ganflow::test::run_python("make_pil_pngs.py", {dir.string()});
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  std::ifstream manifest_file(dir / "manifest.json");
  const auto manifest = nlohmann::json::parse(manifest_file);
  REQUIRE(manifest.size() == 9);  // 4 filter files (grey, grey+alpha, RGB, RGBA), Paeth's ties, PIL's grey, RGB, RGBA, palette
  for (const auto& m : manifest) {
    const std::string name = m["name"];
    const int h = m["height"], w = m["width"], c = m["channels"];
    INFO(name);
    std::ifstream raw(dir / (name + ".raw"), std::ios::binary);
    const std::vector<uint8_t> pil((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
    REQUIRE(pil.size() == std::size_t(h) * w * c);
    const Image img = load_image((dir / (name + ".png")).string(), c, /*drop_alpha=*/true);
    REQUIRE((img.channels == c && img.height == h && img.width == w));
    std::size_t differ = 0;
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) differ += img.at(ch, y, x) != pil[(std::size_t(y) * w + x) * c + ch];
    CHECK(differ == 0);
  }
  const std::string bad = (dir / "bad_filter.png").string();
  CHECK_THROWS_WITH(load_image(bad, 3), Catch::Contains(bad) && Catch::Contains("row 5 has filter type 7"));
  CHECK_THROWS_WITH(load_image((dir / "filters_rgba.png").string(), 3), Catch::Contains("alpha channel"));
}
