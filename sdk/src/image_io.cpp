#include "ganflow/image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ganflow/error.hpp"
#include "ganflow/file_write.hpp"
#include "image_limits.hpp"
#include "png_decoder.hpp"

// stb's declarations; its implementation is in stb_impl.cpp.
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <jpeglib.h>

namespace ganflow {

Image::Image(int c, int h, int w, uint8_t fill)
    : channels(c), height(h), width(w), data(std::size_t(c) * h * w, fill) {}

namespace {

enum class Format { Png, Jpeg, Unknown };

Format sniff(const uint8_t* b, std::size_t n) {
  static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (n >= 8 && std::memcmp(b, png_sig, 8) == 0) return Format::Png;
  if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return Format::Jpeg;
  return Format::Unknown;
}

// libjpeg reports errors through a callback that must not return: it jumps back to the decode.
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  cinfo->err->format_message(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// Corrupt-data warnings (level -1: bad entropy-coded data, a file cut off) fail the decode:
// libjpeg would go on and fill the rest grey.
void jpeg_warn(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_fail(cinfo);
}

// libjpeg-turbo, the decoder PIL and torchvision use: the same pixels as a PyTorch pipeline
// (stb's differ by up to 3 levels), and 1.1-1.7x stb's speed (bench/image_decoders). Grey files decode to grey and colour to RGB;
// decode_image converts between them afterwards as for PNG.
struct JpegDecode {
  jpeg_decompress_struct cinfo{};
  JpegErrors errors{};
  std::vector<uint8_t> px;  // HWC
  int width = 0, height = 0, components = 0;
};

// Everything the decode changes lives in `d` on the heap: after the error jump, locals changed
// since setjmp would hold indeterminate values.
void decompress_jpeg(JpegDecode& d, const uint8_t* bytes, std::size_t size, const std::string& name) {
  jpeg_decompress_struct& cinfo = d.cinfo;
  cinfo.err = jpeg_std_error(&d.errors.mgr);
  d.errors.mgr.error_exit = jpeg_fail;
  d.errors.mgr.emit_message = jpeg_warn;
  if (setjmp(d.errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw Error(name + ": cannot decode JPEG (" + d.errors.message + ")");
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  const bool grey = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  std::string refused;
  if (!grey && cinfo.jpeg_color_space != JCS_YCbCr && cinfo.jpeg_color_space != JCS_RGB)
    refused = "CMYK or YCCK JPEG, expected grey or RGB";
  else
    refused = too_many_pixels("JPEG", cinfo.image_width, cinfo.image_height);
  if (!refused.empty()) {
    jpeg_destroy_decompress(&cinfo);
    throw Error(name + ": " + refused);
  }
  cinfo.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  d.width = int(cinfo.output_width), d.height = int(cinfo.output_height), d.components = cinfo.output_components;
  d.px.resize(std::size_t(d.width) * d.height * d.components);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = &d.px[std::size_t(cinfo.output_scanline) * d.width * d.components];
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
}

// HWC interleaved -> CHW planar.
Image from_interleaved(const uint8_t* px, int w, int h, int comp, int keep) {
  Image img(keep, h, w);
  const std::size_t plane = std::size_t(h) * w;
  for (int c = 0; c < keep; ++c)
    for (std::size_t i = 0; i < plane; ++i) img.data[c * plane + i] = px[i * comp + c];
  return img;
}

std::vector<uint8_t> to_interleaved(const Image& img) {
  const std::size_t plane = std::size_t(img.height) * img.width;
  std::vector<uint8_t> out(img.data.size());
  for (int c = 0; c < img.channels; ++c)
    for (std::size_t i = 0; i < plane; ++i) out[i * img.channels + c] = img.data[c * plane + i];
  return out;
}

void append_bytes(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(ctx);
  auto* p = static_cast<uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

void check_encodable(const Image& img, const char* what) {
  if (img.channels != 1 && img.channels != 3)
    throw Error(std::string(what) + ": expected 1 or 3 channels, got " + std::to_string(img.channels));
  if (img.height <= 0 || img.width <= 0 || img.data.size() != std::size_t(img.channels) * img.height * img.width)
    throw Error(std::string(what) + ": image of " + std::to_string(img.height) + "x" + std::to_string(img.width) +
                " has no or inconsistent pixel data");
}

// Separable resampling: for each output index, the (input index, weight) pairs it averages.
using Taps = std::vector<std::vector<std::pair<int, float>>>;

Taps bilinear_taps(int in, int out) {
  Taps taps(out);
  const double scale = double(in) / out;
  for (int o = 0; o < out; ++o) {
    double src = std::clamp((o + 0.5) * scale - 0.5, 0.0, double(in - 1));
    int i0 = int(std::floor(src));
    int i1 = std::min(i0 + 1, in - 1);
    float f = float(src - i0);
    taps[o] = {{i0, 1.f - f}, {i1, f}};
  }
  return taps;
}

Taps area_taps(int in, int out) {
  Taps taps(out);
  const double scale = double(in) / out;
  for (int o = 0; o < out; ++o) {
    double lo = o * scale, hi = (o + 1) * scale;
    for (int i = int(std::floor(lo)); i < std::min(in, int(std::ceil(hi))); ++i) {
      double cover = std::min(hi, i + 1.0) - std::max(lo, double(i));
      if (cover > 0) taps[o].push_back({i, float(cover / scale)});
    }
  }
  return taps;
}

Image resample(const Image& img, int height, int width, Taps (*make)(int, int)) {
  if (height <= 0 || width <= 0) throw Error("resize: target size must be positive");
  Taps ty = make(img.height, height), tx = make(img.width, width);
  Image out(img.channels, height, width);
  std::vector<float> rows(std::size_t(img.height) * width);
  for (int c = 0; c < img.channels; ++c) {
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < width; ++x) {
        float acc = 0;
        for (auto [i, w] : tx[x]) acc += w * img.at(c, y, i);
        rows[std::size_t(y) * width + x] = acc;
      }
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        float acc = 0;
        for (auto [i, w] : ty[y]) acc += w * rows[std::size_t(i) * width + x];
        out.at(c, y, x) = uint8_t(std::clamp(std::lround(acc), 0L, 255L));
      }
  }
  return out;
}

// The channels kept of a PNG stored with `comp`: alpha is refused unless dropped.
int png_channels_kept(int comp, bool drop_alpha, const std::string& name) {
  const bool alpha = comp == 2 || comp == 4;
  if (comp < 1 || comp > 4 || (alpha && !drop_alpha))
    throw Error(name + ": unexpected channel count " + std::to_string(comp) +
                (alpha ? " (has an alpha channel; set drop_alpha to ignore it)" : "") + ", expected grey or RGB");
  return alpha ? comp - 1 : comp;
}

// The common PNG (8 bits, not interlaced, no tRNS) goes through png_decoder at 1.7-1.8x stb's speed
// (bench/image_decoders); stb takes the rest (palette, 1/2/4/16 bits, interlaced, tRNS).
Image decode_png(const uint8_t* bytes, std::size_t size, const std::string& name, bool drop_alpha) {
  if (auto layout = png::parse(bytes, size, name))  // walks every chunk: a cut-off file never decodes part-black
    return png::decode(*layout, png_channels_kept(layout->channels, drop_alpha, name), name);
  if (size > kMaxImageFileBytes) throw Error(name + ": file too large");
  int w = 0, h = 0, comp = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> px(stbi_load_from_memory(bytes, int(size), &w, &h, &comp, 0), stbi_image_free);
  if (!px) throw Error(name + ": cannot decode PNG (" + stbi_failure_reason() + ")");
  return from_interleaved(px.get(), w, h, comp, png_channels_kept(comp, drop_alpha, name));
}

Image decode_jpeg(const uint8_t* bytes, std::size_t size, const std::string& name) {
  auto d = std::make_unique<JpegDecode>();
  decompress_jpeg(*d, bytes, size, name);
  return from_interleaved(d->px.data(), d->width, d->height, d->components, d->components);
}

}  // namespace

Image decode_image(const uint8_t* bytes, std::size_t size, int channels, const std::string& name, bool drop_alpha) {
  if (channels != 1 && channels != 3)
    throw Error(name + ": can only decode to 1 or 3 channels, asked for " + std::to_string(channels));
  if (size == 0) throw Error(name + ": empty file");
  Format f = sniff(bytes, size);
  if (f == Format::Unknown) throw Error(name + ": not a PNG or JPEG file (unrecognised signature)");
  try {
    Image img = f == Format::Png ? decode_png(bytes, size, name, drop_alpha) : decode_jpeg(bytes, size, name);
    return img.channels == channels ? img : convert_channels(img, channels);
  } catch (const std::bad_alloc&) {  // a header's size can pass every check and still not fit
    throw Error(name + ": out of memory decoding the image");
  }
}

Image load_image(const std::string& path, int channels, bool drop_alpha) {
  // errno taken as an argument, before any string is built.
  auto failed = [&](const char* what, int err) { return Error(path + ": " + what + " (" + std::strerror(err) + ")"); };
  // One read of the size fstat gives, not a byte-wise stream copy. O_NONBLOCK: opening a FIFO
  // must not block the loader before the regular-file check refuses it.
  struct File {
    int fd;
    ~File() { if (fd >= 0) ::close(fd); }
  } file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) throw failed("cannot open image file", errno);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) throw failed("cannot stat image file", errno);
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
  if (std::size_t(st.st_size) > kMaxImageFileBytes)
    throw Error(path + ": " + std::to_string(st.st_size) + " bytes is too large for an image file (2 GiB at most)");
  std::vector<uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  for (std::size_t got = 0; got < bytes.size();) {
    const ssize_t n = ::read(file.fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw failed("read error", errno);
    if (n == 0) throw Error(path + ": read error (the file shrank while it was read)");
    got += std::size_t(n);
  }
  return decode_image(bytes.data(), bytes.size(), channels, path, drop_alpha);
}

std::vector<uint8_t> encode_png(const Image& img) {
  check_encodable(img, "encode_png");
  auto px = to_interleaved(img);
  std::vector<uint8_t> out;
  if (!stbi_write_png_to_func(append_bytes, &out, img.width, img.height, img.channels, px.data(),
                              img.width * img.channels))
    throw Error("encode_png: encoder failed");
  return out;
}

std::vector<uint8_t> encode_jpeg(const Image& img, int quality) {
  check_encodable(img, "encode_jpeg");
  if (quality < 1 || quality > 100) throw Error("encode_jpeg: quality must be in 1..100, got " + std::to_string(quality));
  auto px = to_interleaved(img);
  std::vector<uint8_t> out;
  if (!stbi_write_jpg_to_func(append_bytes, &out, img.width, img.height, img.channels, px.data(), quality))
    throw Error("encode_jpeg: encoder failed");
  return out;
}

void save_image(const Image& img, const std::string& path, int jpeg_quality) {
  std::string ext = path.substr(path.find_last_of('.') == std::string::npos ? path.size() : path.find_last_of('.'));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  std::vector<uint8_t> bytes;
  if (ext == ".png")
    bytes = encode_png(img);
  else if (ext == ".jpg" || ext == ".jpeg")
    bytes = encode_jpeg(img, jpeg_quality);
  else
    throw Error(path + ": cannot tell the image format from the extension (use .png, .jpg or .jpeg)");
  write_file(path, bytes.data(), bytes.size(), /*sync=*/false);
}

Image convert_channels(const Image& img, int channels) {
  if (img.channels == channels) return img;
  const std::size_t plane = std::size_t(img.height) * img.width;
  Image out(channels, img.height, img.width);
  if (img.channels == 1 && channels == 3) {
    for (int c = 0; c < 3; ++c) std::copy_n(img.data.begin(), plane, out.data.begin() + c * plane);
  } else if (img.channels == 3 && channels == 1) {
    for (std::size_t i = 0; i < plane; ++i)
      out.data[i] = uint8_t(std::lround(0.299 * img.data[i] + 0.587 * img.data[plane + i] + 0.114 * img.data[2 * plane + i]));
  } else {
    throw Error("convert_channels: cannot convert " + std::to_string(img.channels) + " to " + std::to_string(channels) +
                " channels");
  }
  return out;
}

Image resize_bilinear(const Image& img, int height, int width) {
  if (img.height == height && img.width == width) return img;
  return resample(img, height, width, bilinear_taps);
}

Image resize_area(const Image& img, int height, int width) {
  if (img.height == height && img.width == width) return img;
  return resample(img, height, width, area_taps);
}

Image resize(const Image& img, int height, int width) {
  return height <= img.height && width <= img.width ? resize_area(img, height, width) : resize_bilinear(img, height, width);
}

Image crop(const Image& img, int height, int width, double row_pct, double col_pct) {
  if (height > img.height || width > img.width || height <= 0 || width <= 0)
    throw Error("crop: window " + std::to_string(height) + "x" + std::to_string(width) + " does not fit in " +
                std::to_string(img.height) + "x" + std::to_string(img.width));
  int top = int(std::lround(std::clamp(row_pct, 0.0, 1.0) * (img.height - height)));
  int left = int(std::lround(std::clamp(col_pct, 0.0, 1.0) * (img.width - width)));
  Image out(img.channels, height, width);
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < height; ++y)
      std::copy_n(&img.data[(std::size_t(c) * img.height + top + y) * img.width + left], width, &out.at(c, y, 0));
  return out;
}

Image pad(const Image& img, int height, int width, uint8_t value) {
  if (height < img.height || width < img.width)
    throw Error("pad: canvas " + std::to_string(height) + "x" + std::to_string(width) + " is smaller than " +
                std::to_string(img.height) + "x" + std::to_string(img.width));
  Image out(img.channels, height, width, value);
  int top = (height - img.height) / 2, left = (width - img.width) / 2;
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < img.height; ++y)
      std::copy_n(&img.data[(std::size_t(c) * img.height + y) * img.width], img.width, &out.at(c, top + y, left));
  return out;
}

Image flip_horizontal(const Image& img) {
  Image out = img;
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < img.height; ++y) {
      uint8_t* row = &out.at(c, y, 0);
      std::reverse(row, row + img.width);
    }
  return out;
}

}  // namespace ganflow
