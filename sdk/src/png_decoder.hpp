#pragma once
// The fast PNG decoder behind image_io: libdeflate's whole-buffer inflate and a row unfilter
// that writes planar pixels. Private to the SDK.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ganflow/image_io.hpp"

namespace ganflow::png {

// A PNG the fast decoder takes: 8 bits, not interlaced, grey, RGB, grey+alpha or RGBA, no
// tRNS chunk (what PIL, torchvision and most datasets write).
struct Layout {
  int width = 0, height = 0, channels = 0;  // channels as stored: 1 to 4
  std::vector<std::pair<const uint8_t*, std::size_t>> idat;  // the compressed stream, in pieces
};

// Walks the chunks. Throws ganflow::Error naming `name` for a truncated or malformed file;
// nullopt for a valid PNG of any other kind (palette, 1/2/4/16 bits, interlaced, tRNS).
std::optional<Layout> parse(const uint8_t* bytes, std::size_t size, const std::string& name);

// Inflates and unfilters into the first `keep` channels, planar. Throws naming `name` when the
// image data is corrupt or its length is wrong.
Image decode(const Layout& png, int keep, const std::string& name);

}  // namespace ganflow::png
