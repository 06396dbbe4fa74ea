// Image decoding speed, one thread, in memory: ganflow's decode_image against the decoders it
// could use, each ending in the same CHW uint8 image.
// - PNG: ganflow's own (libdeflate's inflate and its unfilter, sdk png_decoder.cpp) against
//   stb_image alone, libpng's simplified API and libspng. The files are written by libpng at
//   zlib's default level (as PIL writes them); every decoder's pixels are checked equal.
// - JPEG: stb_image and libjpeg-turbo's libjpeg API. The files are written by libjpeg-turbo at
//   quality 90 with 4:2:0 chroma (PIL's and most cameras' layout); decoders may differ by IDCT
//   rounding and chroma upsampling, so each line prints its largest pixel difference to ganflow's.
// Usage: image_decoders [--reps 5]  (bench/BENCHMARKS.md, "Image decoders")
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
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

#include <jpeglib.h>

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

Bytes encode_png(const std::vector<uint8_t>& hwc, int h, int w, int c) {
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

// libjpeg-turbo's defaults at quality 90: 4:2:0 chroma for RGB. Errors exit (the bench's own input).
Bytes encode_jpeg(const std::vector<uint8_t>& hwc, int h, int w, int c) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = JDIMENSION(w), cinfo.image_height = JDIMENSION(h), cinfo.input_components = c;
  cinfo.in_color_space = c == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(&hwc[std::size_t(cinfo.next_scanline) * w * c]);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes bytes(out, out + size);
  std::free(out);
  return bytes;
}

enum class Format { png, jpeg };

struct Decoder {
  std::string name;
  std::vector<Format> formats;
  std::function<ganflow::Image(const Bytes&, int channels)> decode;
};

std::vector<Decoder> decoders() {
  std::vector<Decoder> d;
  d.push_back({"ganflow", {Format::png, Format::jpeg}, [](const Bytes& b, int c) {
                 return ganflow::decode_image(b.data(), b.size(), c, "bench", false);
               }});
  d.push_back({"stb_image", {Format::png, Format::jpeg}, [](const Bytes& b, int c) {
                 int w = 0, h = 0, comp = 0;
                 uint8_t* px = stbi_load_from_memory(b.data(), int(b.size()), &w, &h, &comp, c);
                 ganflow::Image img = to_chw(px, h, w, c);
                 stbi_image_free(px);
                 return img;
               }});
  d.push_back({"libjpeg-turbo", {Format::jpeg}, [](const Bytes& b, int c) {
                 jpeg_decompress_struct cinfo;
                 jpeg_error_mgr err;
                 cinfo.err = jpeg_std_error(&err);
                 jpeg_create_decompress(&cinfo);
                 jpeg_mem_src(&cinfo, b.data(), b.size());
                 jpeg_read_header(&cinfo, TRUE);
                 cinfo.out_color_space = c == 3 ? JCS_RGB : JCS_GRAYSCALE;
                 jpeg_start_decompress(&cinfo);
                 const int w = int(cinfo.output_width), h = int(cinfo.output_height);
                 std::vector<uint8_t> px(std::size_t(w) * h * c);
                 while (cinfo.output_scanline < cinfo.output_height) {
                   JSAMPROW row = &px[std::size_t(cinfo.output_scanline) * w * c];
                   jpeg_read_scanlines(&cinfo, &row, 1);
                 }
                 jpeg_finish_decompress(&cinfo);
                 jpeg_destroy_decompress(&cinfo);
                 return to_chw(px.data(), h, w, c);
               }});
#ifdef GANFLOW_BENCH_LIBPNG
  d.push_back({"libpng (simplified)", {Format::png}, [](const Bytes& b, int c) {
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
  d.push_back({"libspng", {Format::png}, [](const Bytes& b, int c) {
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
    Format format;
    int side, channels, count;
  };
  const Case cases[] = {{Format::png, 32, 1, 8000},  {Format::png, 64, 3, 4000},  {Format::png, 256, 3, 400},
                        {Format::jpeg, 32, 1, 8000}, {Format::jpeg, 64, 3, 4000}, {Format::jpeg, 256, 3, 400}};
  std::mt19937 rng(1);
  for (const Case& k : cases) {
    std::vector<Decoder> decs;
    for (auto& d : decoders())
      if (std::count(d.formats.begin(), d.formats.end(), k.format)) decs.push_back(d);
    const char* format = k.format == Format::png ? "PNG" : "JPEG";
    std::vector<Bytes> files;
    std::size_t bytes = 0;
    for (int i = 0; i < k.count; ++i) {
      const auto px = make_pixels(k.side, k.side, k.channels, rng);
      files.push_back(k.format == Format::png ? encode_png(px, k.side, k.side, k.channels)
                                              : encode_jpeg(px, k.side, k.side, k.channels));
      bytes += files.back().size();
    }
    // The largest pixel difference to the first decoder's, over the first 50 files: PNG is
    // lossless and must match exactly.
    const std::size_t checked = std::min<std::size_t>(50, files.size());
    std::vector<int> max_diff(decs.size(), 0);
    for (std::size_t f = 0; f < checked; ++f) {
      const ganflow::Image want = decs.front().decode(files[f], k.channels);
      for (std::size_t j = 0; j < decs.size(); ++j) {
        const ganflow::Image got = decs[j].decode(files[f], k.channels);
        if (got.data.size() != want.data.size()) return std::fprintf(stderr, "%s: wrong size\n", decs[j].name.c_str()), 1;
        for (std::size_t i = 0; i < got.data.size(); ++i)
          max_diff[j] = std::max(max_diff[j], std::abs(int(got.data[i]) - int(want.data[i])));
      }
    }
    for (std::size_t j = 0; j < decs.size(); ++j)
      if (k.format == Format::png && max_diff[j] != 0) {
        std::fprintf(stderr, "%s decodes other pixels than %s\n", decs[j].name.c_str(), decs.front().name.c_str());
        return 1;
      }
    std::printf("%dx%dx%d, %d %ss, mean %.0f bytes: images/s (median of %d), ratio to %s, largest pixel difference\n",
                k.side, k.side, k.channels, k.count, format, double(bytes) / k.count, reps, decs.front().name.c_str());
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
      std::printf("  %-24s %10.0f  %.2fx  %d\n", decs[j].name.c_str(), med, med / base, max_diff[j]);
    }
  }
  return 0;
}
