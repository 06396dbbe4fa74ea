// SDK image I/O: PNG/JPEG round trips, channel conversion, geometry helpers, and every bad
// file giving an Error that names it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>  // mkfifo
#include <unistd.h>  // getpid

#include "ganflow/error.hpp"
#include "ganflow/image_io.hpp"

namespace fs = std::filesystem;
using namespace ganflow;

namespace {
fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("ganflow_test_image_io_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

Image gradient(int c, int h, int w) {
  Image img(c, h, w);
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) img.at(ch, y, x) = uint8_t((x * 255 / std::max(1, w - 1) + ch * 60 + y * 3) % 256);
  return img;
}

void write_bytes(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

std::string load_error(const fs::path& p, int channels = 3) {
  try {
    load_image(p.string(), channels);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A 1x1 RGBA PNG (IHDR colour type 6): Image holds only 1 or 3 channels, so it cannot be
// made with encode_png.
std::vector<uint8_t> rgba_png() {
  static const uint8_t bytes[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
      0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
      0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xd0, 0x00, 0x00, 0x04, 0x81, 0x01, 0x80,
      0x2c, 0x55, 0xce, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  return std::vector<uint8_t>(std::begin(bytes), std::end(bytes));
}

// An 8-bit RGB PNG whose header claims width x height over 64 bytes of image data.
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto be32 = [](std::vector<uint8_t>& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
  };
  auto chunk = [&](const char* type, const std::vector<uint8_t>& data) {
    be32(b, uint32_t(data.size()));
    b.insert(b.end(), type, type + 4);
    b.insert(b.end(), data.begin(), data.end());
    b.insert(b.end(), 4, 0);  // the CRC, which decoders do not check
  };
  std::vector<uint8_t> ihdr;
  be32(ihdr, width), be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  chunk("IHDR", ihdr);
  chunk("IDAT", std::vector<uint8_t>(64, 0x78));
  chunk("IEND", {});
  return b;
}
}  // namespace

TEST_CASE("PNG round trips exactly, grey and RGB", "[data]") {
  auto dir = temp_dir("png");
  for (int c : {1, 3}) {
    Image img = gradient(c, 7, 9);
    auto p = dir / ("g" + std::to_string(c) + ".png");
    save_image(img, p.string());
    Image back = load_image(p.string(), c);
    CHECK(back.channels == c);
    CHECK(back.height == 7);
    CHECK(back.width == 9);
    CHECK(back.data == img.data);
  }
  fs::remove_all(dir);
}

TEST_CASE("grey and RGB convert into each other on load", "[data]") {
  auto dir = temp_dir("conv");
  Image grey = gradient(1, 4, 4);
  save_image(grey, (dir / "g.png").string());
  Image rgb = load_image((dir / "g.png").string(), 3);
  REQUIRE(rgb.channels == 3);
  for (int c = 0; c < 3; ++c) CHECK(rgb.at(c, 2, 3) == grey.at(0, 2, 3));
  Image colour(3, 1, 1);
  colour.at(0, 0, 0) = 200, colour.at(1, 0, 0) = 100, colour.at(2, 0, 0) = 50;
  save_image(colour, (dir / "c.png").string());
  CHECK(int(load_image((dir / "c.png").string(), 1).at(0, 0, 0)) == 124);  // .299*200 + .587*100 + .114*50
  fs::remove_all(dir);
}

TEST_CASE("JPEG encodes and decodes close to the original, lower quality is smaller", "[data]") {
  Image img = gradient(3, 32, 32);
  auto hi = encode_jpeg(img, 95), lo = encode_jpeg(img, 10);
  CHECK(lo.size() < hi.size());
  Image back = decode_image(hi.data(), hi.size(), 3, "mem.jpg");
  double err = 0;
  for (std::size_t i = 0; i < img.bytes(); ++i) err += std::abs(int(img.data[i]) - int(back.data[i]));
  CHECK(err / double(img.bytes()) < 6.0);
  CHECK_THROWS_WITH(encode_jpeg(img, 0), Catch::Contains("quality"));
}

TEST_CASE("bad image files give one Error naming the file", "[data]") {
  auto dir = temp_dir("bad");
  Image img = gradient(3, 16, 16);
  auto png = encode_png(img), jpg = encode_jpeg(img, 80);

  SECTION("missing") {
    auto p = dir / "nope.png";
    CHECK_THAT(load_error(p), Catch::Contains(p.string()) && Catch::Contains("cannot open"));
  }
  SECTION("a directory") {
    fs::create_directories(dir / "folder.png");
    CHECK_THAT(load_error(dir / "folder.png"), Catch::Contains("folder.png") && Catch::Contains("not a regular file"));
  }
  SECTION("a FIFO is refused without blocking") {
    REQUIRE(::mkfifo((dir / "pipe.png").c_str(), 0600) == 0);
    CHECK_THAT(load_error(dir / "pipe.png"), Catch::Contains("pipe.png") && Catch::Contains("not a regular file"));
  }
  SECTION("empty") {
    write_bytes(dir / "empty.png", {});
    CHECK_THAT(load_error(dir / "empty.png"), Catch::Contains("empty.png") && Catch::Contains("empty file"));
  }
  SECTION("truncated PNG") {
    write_bytes(dir / "cut.png", std::vector<uint8_t>(png.begin(), png.begin() + std::ptrdiff_t(png.size() / 2)));
    CHECK_THAT(load_error(dir / "cut.png"), Catch::Contains((dir / "cut.png").string()) && Catch::Contains("truncated"));
  }
  SECTION("truncated JPEG") {
    write_bytes(dir / "cut.jpg", std::vector<uint8_t>(jpg.begin(), jpg.begin() + std::ptrdiff_t(jpg.size() * 2 / 3)));
    CHECK_THAT(load_error(dir / "cut.jpg"), Catch::Contains("cut.jpg") && Catch::Contains("JPEG"));
  }
  SECTION("corrupt JPEG") {
    auto bad = jpg;
    for (std::size_t i = 4; i < 40 && i < bad.size(); ++i) bad[i] = 0xff;  // wreck the header segments
    write_bytes(dir / "corrupt.jpg", bad);
    CHECK_THAT(load_error(dir / "corrupt.jpg"), Catch::Contains("corrupt.jpg") && Catch::Contains("JPEG"));
  }
  SECTION("corrupt JPEG scan data") {  // markers intact, entropy-coded data scrambled: libjpeg warns, we refuse
    auto bad = jpg;
    std::size_t sos = 2;
    while (sos + 1 < bad.size() && !(bad[sos] == 0xff && bad[sos + 1] == 0xda)) ++sos;
    REQUIRE(sos + 40 < bad.size());
    for (std::size_t i = sos + 20; i + 10 < bad.size(); ++i) bad[i] ^= 0x5a;
    write_bytes(dir / "scan.jpg", bad);
    CHECK_THAT(load_error(dir / "scan.jpg"), Catch::Contains("scan.jpg") && Catch::Contains("JPEG"));
  }
  SECTION("garbage bytes with a .png name") {
    write_bytes(dir / "garbage.png", std::vector<uint8_t>(100, 0x42));
    CHECK_THAT(load_error(dir / "garbage.png"), Catch::Contains("garbage.png") && Catch::Contains("not a PNG or JPEG"));
  }
  SECTION("corrupt PNG data") {
    auto bad = png;
    for (std::size_t i = 45; i < bad.size() - 20; ++i) bad[i] ^= 0x5a;  // scramble IDAT, keep the chunk layout
    write_bytes(dir / "scrambled.png", bad);
    CHECK_THAT(load_error(dir / "scrambled.png"), Catch::Contains("scrambled.png"));
  }
  SECTION("a PNG header claiming more pixels than its data can hold") {  // refused before allocating
    write_bytes(dir / "claims.png", png_claiming(10000, 10000));
    CHECK_THAT(load_error(dir / "claims.png"), Catch::Contains("claims.png") && Catch::Contains("cannot hold a 10000x10000"));
  }
  SECTION("unexpected channel count (alpha)") {
    write_bytes(dir / "rgba.png", rgba_png());
    CHECK_THAT(load_error(dir / "rgba.png"), Catch::Contains("rgba.png") && Catch::Contains("unexpected channel count 4"));
    CHECK(load_image((dir / "rgba.png").string(), 3, /*drop_alpha=*/true).channels == 3);
  }
  fs::remove_all(dir);
}

TEST_CASE("an image that cannot be written gives one Error naming the file and the cause", "[data]") {
  auto dir = temp_dir("unwritable");
  const Image img = gradient(3, 16, 16);
  auto save_error = [&](const std::string& path) {
    try {
      save_image(img, path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SECTION("a full disk (/dev/full), which is left in place") {
    REQUIRE(fs::exists("/dev/full"));
    // save_image reads the format from the name: a symlink to /dev/full gives it one.
    fs::create_symlink("/dev/full", dir / "full.png");
    CHECK_THAT(save_error((dir / "full.png").string()), Catch::Contains("full.png") && Catch::Contains("No space left on device"));
    CHECK(fs::exists("/dev/full"));
  }
  SECTION("a folder that does not exist") {
    const auto p = dir / "missing" / "grid.png";
    CHECK_THAT(save_error(p.string()), Catch::Contains(p.string()) && Catch::Contains("No such file or directory"));
  }
  fs::remove_all(dir);
}

TEST_CASE("resize, crop, pad and flip", "[data]") {
  Image img(1, 4, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) img.at(0, y, x) = uint8_t(10 * (y * 4 + x));
  Image half = resize_area(img, 2, 2);  // each output = mean of a 2x2 block
  CHECK(int(half.at(0, 0, 0)) == 25);   // (0 + 10 + 40 + 50) / 4
  CHECK(int(half.at(0, 1, 1)) == 125);  // (100 + 110 + 140 + 150) / 4
  Image big = resize_bilinear(img, 8, 8);
  CHECK(int(big.at(0, 0, 0)) == 0);
  CHECK(int(big.at(0, 7, 7)) == 150);
  CHECK(resize(img, 2, 2).data == half.data);  // shrinking picks area

  Image c = crop(img, 2, 2, 0.0, 1.0);  // top-right
  CHECK(c.data == std::vector<uint8_t>{20, 30, 60, 70});
  CHECK(crop(img, 2, 2).data == std::vector<uint8_t>{50, 60, 90, 100});  // centre
  CHECK_THROWS_AS(crop(img, 5, 2), Error);

  Image p = pad(img, 6, 6, 7);
  CHECK(int(p.at(0, 0, 0)) == 7);
  CHECK(int(p.at(0, 1, 1)) == 0);
  CHECK(int(p.at(0, 4, 4)) == 150);
  Image f = flip_horizontal(img);
  CHECK(int(f.at(0, 0, 0)) == 30);
  CHECK(int(f.at(0, 3, 0)) == 150);
}

