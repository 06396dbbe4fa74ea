// ganflow decodes a JPEG to the pixels PIL gives (libjpeg-turbo in both; torchvision's
// ImageFolder loads through PIL): chroma subsampling 4:2:0, 4:4:4 and 4:2:2, progressive, grey,
// odd sizes; a CMYK file is refused by name. The files and PIL's pixels come from
// tests/python/make_pil_jpegs.py.
#include <catch2/catch.hpp>

#include "pil_reference.hpp"

using ganflow::Image;
using ganflow::load_image;

TEST_CASE("JPEG decodes to the pixels PIL decodes, which torchvision's ImageFolder loads", "[data]") {
  const auto dir = ganflow::test::scratch_dir("jpeg_pil");
  const auto refs = gantest::pil_references("make_pil_jpegs.py", dir);
  REQUIRE(refs.size() == 5);  // 4:2:0, 4:4:4, 4:2:2, progressive, grey
  for (const auto& ref : refs) {
    INFO(ref.name);
    const std::string file = dir + "/" + ref.name + ".jpg";
    const Image img = load_image(file, ref.channels);
    CHECK(gantest::values_differing(img, ref) == 0);
    if (ref.channels == 1) {  // a grey file asked for as RGB: the grey plane three times
      const Image rgb = load_image(file, 3);
      CHECK(std::equal(img.data.begin(), img.data.end(), rgb.data.begin() + std::ptrdiff_t(img.data.size())));
    }
  }
  CHECK_THROWS_WITH(load_image(dir + "/cmyk.jpg", 3), Catch::Contains("cmyk.jpg") && Catch::Contains("CMYK"));
}
