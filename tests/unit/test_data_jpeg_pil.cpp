// ganflow decodes a JPEG to the pixels PIL gives (libjpeg-turbo in both; torchvision's
// ImageFolder loads through PIL): chroma subsampling 4:2:0, 4:4:4 and 4:2:2, progressive, grey,
// odd sizes; a CMYK file is refused by name. The files and PIL's pixels come from
// tests/python/make_pil_jpegs.py.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ganflow/image_io.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using ganflow::Image;
using ganflow::load_image;

TEST_CASE("JPEG decodes to the pixels PIL decodes, which torchvision's ImageFolder loads", "[data]") {
  const fs::path dir = ganflow::test::scratch_dir("jpeg_pil");
  const auto made = ganflow::test::run_python("make_pil_jpegs.py", {dir.string()});
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  std::ifstream manifest_file(dir / "manifest.json");
  const auto manifest = nlohmann::json::parse(manifest_file);
  REQUIRE(manifest.size() == 5);  // 4:2:0, 4:4:4, 4:2:2, progressive, grey
  for (const auto& m : manifest) {
    const std::string name = m["name"];
    const int h = m["height"], w = m["width"], c = m["channels"];
    INFO(name);
    std::ifstream raw(dir / (name + ".raw"), std::ios::binary);
    const std::vector<uint8_t> pil((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
    REQUIRE(pil.size() == std::size_t(h) * w * c);
    const Image img = load_image((dir / (name + ".jpg")).string(), c);
    REQUIRE((img.channels == c && img.height == h && img.width == w));
    std::size_t differ = 0;
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) differ += img.at(ch, y, x) != pil[(std::size_t(y) * w + x) * c + ch];
    CHECK(differ == 0);
    if (c == 1) {  // a grey file asked for as RGB: the grey plane three times
      const Image rgb = load_image((dir / (name + ".jpg")).string(), 3);
      CHECK(std::equal(img.data.begin(), img.data.end(), rgb.data.begin() + std::ptrdiff_t(img.data.size())));
    }
  }
  CHECK_THROWS_WITH(load_image((dir / "cmyk.jpg").string(), 3), Catch::Contains("cmyk.jpg") && Catch::Contains("CMYK"));
}
