// ganflow decodes a PNG to the pixels PIL gives (torchvision's ImageFolder loads through PIL):
// every row filter at 1-4 bytes per pixel with the data over several IDAT chunks, runs of Paeth
// rows (unfiltered two at a time), Paeth's ties,
// PIL's own grey, RGB and RGBA files (alpha dropped on request) through the fast decoder, and a
// palette file through the general one. An unknown row filter is an error naming the file and
// row; image data a row short or a byte long is an error. The files and PIL's pixels come from
// tests/python/make_pil_pngs.py.
#include <catch2/catch.hpp>

#include "pil_reference.hpp"

using ganflow::load_image;

TEST_CASE("PNG decodes to the pixels PIL decodes at every row filter and pixel size", "[data]") {
  const auto dir = ganflow::test::scratch_dir("png_pil");
  const auto refs = gantest::pil_references("make_pil_pngs.py", dir);
  // 4 filter files and 4 of runs of Paeth rows (grey, grey+alpha, RGB, RGBA), Paeth's ties, PIL's
  // grey, RGB, RGBA, palette
  REQUIRE(refs.size() == 13);
  for (const auto& ref : refs) {
    INFO(ref.name);
    CHECK(gantest::values_differing(load_image(dir + "/" + ref.name + ".png", ref.channels, /*drop_alpha=*/true), ref) == 0);
  }
  // The fast decoder's own errors, so every colour type went through it.
  for (const char* mode : {"l", "la", "rgb", "rgba"}) {
    const std::string bad = dir + "/bad_filter_" + mode + ".png";
    CHECK_THROWS_WITH(load_image(bad, 3, true), Catch::Contains(bad) && Catch::Contains("row 5 has filter type 7"));
  }
  CHECK_THROWS_WITH(load_image(dir + "/short.png", 3), Catch::Contains("short.png") && Catch::Contains("too short"));
  CHECK_THROWS_WITH(load_image(dir + "/long.png", 3), Catch::Contains("long.png") && Catch::Contains("too long"));
  CHECK_THROWS_WITH(load_image(dir + "/filters_rgba.png", 3), Catch::Contains("alpha channel"));
}
