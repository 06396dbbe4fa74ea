#pragma once
// The limits the image decoders apply before they allocate, declared once for all of them.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ganflow {

// A file's bytes: stb_image takes its size as an int.
constexpr std::size_t kMaxImageFileBytes = INT_MAX;

// Pixels per image (16384 x 16384): a header claiming more is refused, not allocated.
constexpr uint64_t kMaxImagePixels = uint64_t(1) << 28;

// Why a `format` image of width x height is refused; empty when it is within the limit.
inline std::string too_many_pixels(const char* format, uint64_t width, uint64_t height) {
  if (width * height <= kMaxImagePixels) return "";
  return std::string(format) + " of " + std::to_string(width) + "x" + std::to_string(height) +
         " is too large (more than 2^28 pixels)";
}

}  // namespace ganflow
