#include "png_decoder.hpp"

#include <libdeflate.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "ganflow/error.hpp"
#include "image_limits.hpp"

namespace ganflow::png {

namespace {

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

bool is(const uint8_t* type, const char* name) { return std::memcmp(type, name, 4) == 0; }

// Stored channels of the colour types the fast path takes (0 grey, 2 RGB, 4 grey+alpha, 6 RGBA).
int fast_channels(int colour_type) {
  switch (colour_type) {
    case 0: return 1;
    case 2: return 3;
    case 4: return 2;
    case 6: return 4;
    default: return 0;
  }
}

// The PNG spec's predictor as selects (cmov), with `&` where `&&` would branch: on noisy
// photos, mostly Paeth rows, the branches mispredict (bench/BENCHMARKS.md, "PNG: ganflow's own
// decoder").
inline int paeth(int a, int b, int c) {
  const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(b - c + a - c);
  const int b_or_c = pb <= pc ? b : c;
  return (pa <= pb) & (pa <= pc) ? a : b_or_c;
}

// Sub, Average and Paeth predict each byte from the pixel to its left (a), above (b) and above
// left (c). a and c are carried in registers, not re-read from the memory just written (the
// store-to-load chain of the obvious form is the loop's bottleneck).
template <int B, class Predict>
void unfilter_from_left(uint8_t* cur, const uint8_t* prev, std::size_t n, Predict predict) {
  int a[B] = {}, c[B] = {};  // zero left of the first pixel
  for (std::size_t i = 0; i < n; i += B)
    for (int k = 0; k < B; ++k) {
      const int b = prev[i + k];
      a[k] = uint8_t(cur[i + k] + predict(a[k], b, c[k]));
      cur[i + k] = uint8_t(a[k]);
      c[k] = b;
    }
}

// Two consecutive Paeth rows (most rows of a photo's PNG): `lo`, whose row above is `prev`, and
// `hi`, whose row above is `lo`. Each pixel waits on the one to its left, so one row is a chain
// of dependent steps; here the two rows' chains run side by side, `hi` a step behind `lo`.
template <int B>
void unpaeth_two_rows(uint8_t* lo, uint8_t* hi, const uint8_t* prev, std::size_t n) {
  int a0[B] = {}, c0[B] = {}, a1[B] = {}, c1[B] = {};
  for (std::size_t i = 0; i < n; i += B)
    for (int k = 0; k < B; ++k) {
      const int b0 = prev[i + k];
      a0[k] = uint8_t(lo[i + k] + paeth(a0[k], b0, c0[k]));
      lo[i + k] = uint8_t(a0[k]);
      c0[k] = b0;
      const int b1 = a0[k];  // `lo` at this pixel, just unfiltered
      a1[k] = uint8_t(hi[i + k] + paeth(a1[k], b1, c1[k]));
      hi[i + k] = uint8_t(a1[k]);
      c1[k] = b1;
    }
}

// Reverses one row's filter in place; `prev` is the row above, already unfiltered (zeros for
// the first). B, the bytes per pixel, is a constant so each loop compiles to a tight one.
template <int B>
bool unfilter_row(uint8_t filter, uint8_t* cur, const uint8_t* prev, std::size_t n) {
  switch (filter) {
    case 0: return true;
    case 1: unfilter_from_left<B>(cur, prev, n, [](int a, int, int) { return a; }); return true;
    case 2:
      for (std::size_t i = 0; i < n; ++i) cur[i] = uint8_t(cur[i] + prev[i]);
      return true;
    case 3: unfilter_from_left<B>(cur, prev, n, [](int a, int b, int) { return (a + b) >> 1; }); return true;
    case 4: unfilter_from_left<B>(cur, prev, n, paeth); return true;
    default: return false;
  }
}

// Unfilters every row of `raw` (each a filter byte, then `stride` bytes) and writes the first
// `keep` channels of each pixel to `out`'s planes.
template <int B>
void unfilter(uint8_t* raw, std::size_t stride, Image& out, int keep, const std::string& name) {
  const std::vector<uint8_t> zeros(stride, 0);
  const uint8_t* prev = zeros.data();
  const std::size_t plane = std::size_t(out.height) * out.width;
  auto to_planes = [&](int y, const uint8_t* cur) {
    uint8_t* dst = out.data.data() + std::size_t(y) * out.width;
    for (int c = 0; c < keep; ++c)
      for (int x = 0; x < out.width; ++x) dst[c * plane + x] = cur[std::size_t(x) * B + c];
  };
  for (int y = 0; y < out.height; ++y) {
    uint8_t* row = raw + std::size_t(y) * (stride + 1);
    uint8_t* cur = row + 1;
    uint8_t* next = cur + stride;  // the next row's filter byte
    if (row[0] == 4 && y + 1 < out.height && *next == 4) {
      unpaeth_two_rows<B>(cur, next + 1, prev, stride);
      to_planes(y, cur), to_planes(y + 1, next + 1);
      prev = next + 1, ++y;
      continue;
    }
    if (!unfilter_row<B>(row[0], cur, prev, stride))
      throw Error(name + ": corrupt PNG (row " + std::to_string(y) + " has filter type " + std::to_string(row[0]) + ")");
    to_planes(y, cur);
    prev = cur;
  }
}

struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

std::optional<Layout> parse(const uint8_t* b, std::size_t n, const std::string& name) {
  Layout png;
  bool fast = true;
  std::size_t pos = 8;  // after the signature, which the caller checked
  for (bool first = true; pos + 12 <= n; first = false) {
    const std::size_t len = be32(b + pos);
    const uint8_t* type = b + pos + 4;
    const uint8_t* data = b + pos + 8;
    if (len > n - pos - 12) break;
    if (first != is(type, "IHDR") || (first && len != 13))
      throw Error(name + (first ? ": corrupt PNG (the first chunk must be a 13-byte IHDR)" : ": corrupt PNG (a second IHDR)"));
    if (first) {
      const uint32_t w = be32(data), h = be32(data + 4);
      if (w == 0 || h == 0 || w > INT32_MAX || h > INT32_MAX)
        throw Error(name + ": corrupt PNG (image of " + std::to_string(w) + "x" + std::to_string(h) + ")");
      if (const std::string refused = too_many_pixels("PNG", w, h); !refused.empty()) throw Error(name + ": " + refused);
      png.width = int(w), png.height = int(h), png.channels = fast_channels(data[9]);
      // bit depth, colour type, compression, filter method, interlace
      fast = data[8] == 8 && png.channels > 0 && data[10] == 0 && data[11] == 0 && data[12] == 0;
    } else if (is(type, "IDAT")) {
      png.idat.emplace_back(data, len);
    } else if (is(type, "tRNS")) {
      fast = false;  // a colour key that becomes an alpha channel
    } else if (is(type, "IEND")) {
      if (!fast) return std::nullopt;
      if (png.idat.empty()) throw Error(name + ": corrupt PNG (no IDAT chunk)");
      return png;
    }
    pos += 12 + len;
  }
  throw Error(name + ": truncated or corrupt PNG (no complete IEND chunk)");
}

Image decode(const Layout& png, int keep, const std::string& name) {
  // One decompressor per loader thread; libdeflate's is ~32 KiB of tables.
  thread_local std::unique_ptr<libdeflate_decompressor, FreeDecompressor> inflater(libdeflate_alloc_decompressor());
  // Buffers reused by the thread's next image, unless one grew past 16 MiB (a 2048x2048 RGB
  // image and up): a loader thread must not hold the largest image it ever met.
  thread_local std::vector<uint8_t> joined, raw;
  struct Trim {
    ~Trim() {
      for (auto* v : {&joined, &raw})
        if (v->capacity() > (std::size_t(16) << 20)) std::vector<uint8_t>().swap(*v);
    }
  } trim;
  if (!inflater) throw Error(name + ": out of memory for the PNG decompressor");
  const uint8_t* in = png.idat.front().first;
  std::size_t in_size = png.idat.front().second;
  if (png.idat.size() > 1) {  // libdeflate inflates one buffer: join the pieces
    joined.clear();
    for (auto [p, len] : png.idat) joined.insert(joined.end(), p, p + len);
    in = joined.data(), in_size = joined.size();
  }
  const std::size_t stride = std::size_t(png.width) * png.channels;
  // Deflate expands at most 1032:1: a header claiming far more pixels than the data can hold is
  // refused before its buffer is allocated (a 100-byte file must not cost a gigabyte).
  if ((stride + 1) * png.height / 1032 > in_size + 1)
    throw Error(name + ": corrupt PNG image data (" + std::to_string(in_size) + " compressed bytes cannot hold a " +
                std::to_string(png.width) + "x" + std::to_string(png.height) + " image)");
  raw.resize((stride + 1) * png.height);
  // Without an out-size pointer libdeflate insists on exactly raw.size() bytes: a short or long
  // stream is an error, as is a bad Adler-32 checksum.
  const libdeflate_result r = libdeflate_zlib_decompress(inflater.get(), in, in_size, raw.data(), raw.size(), nullptr);
  if (r != LIBDEFLATE_SUCCESS)
    throw Error(name + ": corrupt PNG image data (" +
                (r == LIBDEFLATE_SHORT_OUTPUT           ? "too short"
                 : r == LIBDEFLATE_INSUFFICIENT_SPACE ? "too long"
                                                      : "bad deflate stream") +
                ")");
  Image out(keep, png.height, png.width);
  switch (png.channels) {
    case 1: unfilter<1>(raw.data(), stride, out, keep, name); break;
    case 2: unfilter<2>(raw.data(), stride, out, keep, name); break;
    case 3: unfilter<3>(raw.data(), stride, out, keep, name); break;
    default: unfilter<4>(raw.data(), stride, out, keep, name); break;
  }
  return out;
}

}  // namespace ganflow::png
