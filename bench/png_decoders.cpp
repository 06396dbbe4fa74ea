// PNG decoding speed, one thread, in memory: ganflow's decode_image (stb_image after a walk of the
// chunk structure, then HWC -> CHW) against stb_image alone, libpng's simplified API and libspng,
// each ending in the same CHW uint8 image. The PNGs are written by libpng at zlib's default level
// (as PIL writes them) from blob-and-noise images; every decoder's pixels are checked equal.
// Usage: png_decoders [--reps 5]  (bench/BENCHMARKS.md, "PNG decoders")
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

#include <ganflow/image_io.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#ifdef GANFLOW_BENCH_LIBPNG
#include <png.h>
#endif
#ifdef GANFLOW_BENCH_SPNG
#include <spng.h>
#endif

namespace {
using Bytes = std::vector<uint8_t>;
volatile std::size_t g_sink = 0;

// HWC interleaved -> ganflow's CHW.
ganflow::Image to_chw(const uint8_t* hwc, int h, int w, int c) {
  ganflow::Image img(c, h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) img.at(k, y, x) = hwc[(std::size_t(y) * w + x) * c + k];
  return img;
}

// Bright blobs on a dark ground with noise: compresses like photographs of objects, not like flat colour.
std::vector<uint8_t> make_pixels(int h, int w, int c, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 8);
  std::vector<uint8_t> px(std::size_t(h) * w * c);
  const double cy = h * (0.3 + 0.4 * u(rng)), cx = w * (0.3 + 0.4 * u(rng)), r = h * (0.15 + 0.2 * u(rng));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        const bool in = (y - cy) * (y - cy) + (x - cx) * (x - cx) < r * r;
        const double v = (in ? 160 + 40 * k : 30) + noise(rng);
        px[(std::size_t(y) * w + x) * c + k] = uint8_t(std::clamp(v, 0.0, 255.0));
      }
  return px;
}

Bytes encode(const std::vector<uint8_t>& hwc, int h, int w, int c) {
#ifdef GANFLOW_BENCH_LIBPNG
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = w, image.height = h, image.format = c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&image, nullptr, &size, 0, hwc.data(), 0, nullptr);
  Bytes out(size);
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, hwc.data(), 0, nullptr)) throw std::runtime_error("libpng write");
  out.resize(size);
  return out;
#else
  auto v = ganflow::encode_png(to_chw(hwc.data(), h, w, c));
  return Bytes(v.begin(), v.end());
#endif
}

struct Decoder {
  std::string name;
  std::function<ganflow::Image(const Bytes&, int channels)> decode;
};

std::vector<Decoder> decoders() {
  std::vector<Decoder> d;
  d.push_back({"ganflow (stb + checks)", [](const Bytes& b, int c) {
                 return ganflow::decode_image(b.data(), b.size(), c, "bench", false);
               }});
  d.push_back({"stb_image", [](const Bytes& b, int c) {
                 int w = 0, h = 0, comp = 0;
                 uint8_t* px = stbi_load_from_memory(b.data(), int(b.size()), &w, &h, &comp, c);
                 ganflow::Image img = to_chw(px, h, w, c);
                 stbi_image_free(px);
                 return img;
               }});
#ifdef GANFLOW_BENCH_LIBPNG
  d.push_back({"libpng (simplified)", [](const Bytes& b, int c) {
                 png_image image{};
                 image.version = PNG_IMAGE_VERSION;
                 png_image_begin_read_from_memory(&image, b.data(), b.size());
                 image.format = c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
                 std::vector<uint8_t> px(PNG_IMAGE_SIZE(image));
                 png_image_finish_read(&image, nullptr, px.data(), 0, nullptr);
                 return to_chw(px.data(), int(image.height), int(image.width), c);
               }});
#endif
#ifdef GANFLOW_BENCH_SPNG
  d.push_back({"libspng", [](const Bytes& b, int c) {
                 spng_ctx* ctx = spng_ctx_new(0);
                 spng_set_png_buffer(ctx, b.data(), b.size());
                 spng_ihdr ihdr{};
                 spng_get_ihdr(ctx, &ihdr);
                 const int fmt = c == 3 ? SPNG_FMT_RGB8 : SPNG_FMT_G8;
                 std::size_t size = 0;
                 spng_decoded_image_size(ctx, fmt, &size);
                 std::vector<uint8_t> px(size);
                 spng_decode_image(ctx, px.data(), size, fmt, 0);
                 spng_ctx_free(ctx);
                 return to_chw(px.data(), int(ihdr.height), int(ihdr.width), c);
               }});
#endif
  return d;
}
}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--reps") reps = std::stoi(argv[++i]);
  struct Case {
    int side, channels, count;
  };
  const Case cases[] = {{32, 1, 8000}, {64, 3, 4000}, {256, 3, 400}};
  const auto decs = decoders();
  std::mt19937 rng(1);
  for (const Case& k : cases) {
    std::vector<Bytes> files;
    std::size_t bytes = 0;
    for (int i = 0; i < k.count; ++i) {
      files.push_back(encode(make_pixels(k.side, k.side, k.channels, rng), k.side, k.side, k.channels));
      bytes += files.back().size();
    }
    // Every decoder gives the same pixels.
    const ganflow::Image want = decs.front().decode(files.front(), k.channels);
    for (const auto& d : decs)
      if (d.decode(files.front(), k.channels).data != want.data) {
        std::fprintf(stderr, "%s decodes other pixels than %s\n", d.name.c_str(), decs.front().name.c_str());
        return 1;
      }
    std::printf("%dx%dx%d, %d PNGs, mean %.0f bytes: images/s (median of %d), ratio to %s\n", k.side, k.side,
                k.channels, k.count, double(bytes) / k.count, reps, decs.front().name.c_str());
    std::vector<std::vector<double>> rates(decs.size());
    for (int r = 0; r < reps; ++r)  // interleaved: one pass of each decoder per repetition
      for (std::size_t j = 0; j < decs.size(); ++j) {
        const auto t0 = std::chrono::steady_clock::now();
        std::size_t sink = 0;
        for (const auto& f : files) sink += decs[j].decode(f, k.channels).data[0];
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rates[j].push_back(k.count / s);
        g_sink = g_sink + sink;  // keeps the decodes
      }
    double base = 0;
    for (std::size_t j = 0; j < decs.size(); ++j) {
      std::sort(rates[j].begin(), rates[j].end());
      const double med = rates[j][rates[j].size() / 2];
      if (j == 0) base = med;
      std::printf("  %-24s %10.0f  %.2fx\n", decs[j].name.c_str(), med, med / base);
    }
  }
  return 0;
}
