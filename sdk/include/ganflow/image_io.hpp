#pragma once
// Image decode/encode and the small geometric helpers data sources need. Images are uint8,
// CHW (planar), 1 (grey) or 3 (RGB) channels. This is the only API over the image libraries
// (stb, libdeflate, libjpeg-turbo); no torch here, so it is safe to call from any loader thread.
#include "ganflow/export.hpp"
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ganflow {

struct GANFLOW_API Image {
  int channels = 0, height = 0, width = 0;
  std::vector<uint8_t> data;  // CHW

  Image() = default;
  Image(int c, int h, int w, uint8_t fill = 0);
  std::size_t bytes() const { return data.size(); }
  uint8_t& at(int c, int y, int x) { return data[(std::size_t(c) * height + y) * width + x]; }
  uint8_t at(int c, int y, int x) const { return data[(std::size_t(c) * height + y) * width + x]; }
};

// Decodes a PNG or JPEG file into `channels` (1 or 3) channels, converting grey <-> RGB.
// Files with an alpha channel are refused unless `drop_alpha`. Missing, empty, truncated or
// corrupt files throw ganflow::Error naming `path`.
GANFLOW_API Image load_image(const std::string& path, int channels, bool drop_alpha = false);
// The same from bytes in memory; `name` is used in error messages.
GANFLOW_API Image decode_image(const uint8_t* bytes, std::size_t size, int channels, const std::string& name,
                               bool drop_alpha = false);

GANFLOW_API std::vector<uint8_t> encode_png(const Image& img);
GANFLOW_API std::vector<uint8_t> encode_jpeg(const Image& img, int quality /*1..100*/);
// Writes the file (PNG or JPEG by extension: .png, .jpg/.jpeg); throws Error naming it.
GANFLOW_API void save_image(const Image& img, const std::string& path, int jpeg_quality = 90);

// Grey <-> RGB (ITU-R 601 luma for RGB -> grey).
GANFLOW_API Image convert_channels(const Image& img, int channels);

// Bilinear (pixel centres aligned, like torch's align_corners=false).
GANFLOW_API Image resize_bilinear(const Image& img, int height, int width);
// Box-filter average over each output pixel's footprint: the right filter for downscaling.
GANFLOW_API Image resize_area(const Image& img, int height, int width);
// Area when shrinking both sides, bilinear otherwise.
GANFLOW_API Image resize(const Image& img, int height, int width);

// A height x width window. row_pct/col_pct in [0, 1] place it (0.5, 0.5: centre), as fastai's
// crop_pad does; the window must fit inside the image.
GANFLOW_API Image crop(const Image& img, int height, int width, double row_pct = 0.5, double col_pct = 0.5);
// Centres the image on a height x width canvas of `value` (each side must be >= the image's).
GANFLOW_API Image pad(const Image& img, int height, int width, uint8_t value = 0);
GANFLOW_API Image flip_horizontal(const Image& img);

}  // namespace ganflow
