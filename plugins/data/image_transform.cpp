#include "image_transform.hpp"

#include <algorithm>
#include <cmath>

namespace ganflow::data {

TransformDraw ImageTransform::draw(ItemRng& rng) const {
  TransformDraw d;
  if (random_crop) d.row_pct = rng.uniform(), d.col_pct = rng.uniform();
  if (flip) d.flip = rng.coin();
  return d;
}

Image ImageTransform::apply(const Image& img, int size, const TransformDraw& d) const {
  Image out;
  if (method == ResizeMethod::Squish) {
    out = resize(img, size, size);
  } else {
    // Crop: the shorter side becomes `size`; pad: the longer side does.
    int side = method == ResizeMethod::Crop ? std::min(img.height, img.width) : std::max(img.height, img.width);
    double s = double(size) / side;
    int h = std::max(1, int(std::lround(img.height * s))), w = std::max(1, int(std::lround(img.width * s)));
    if (method == ResizeMethod::Crop) h = std::max(h, size), w = std::max(w, size);
    else h = std::min(h, size), w = std::min(w, size);
    Image scaled = resize(img, h, w);
    out = method == ResizeMethod::Crop ? crop(scaled, size, size, d.row_pct, d.col_pct) : pad(scaled, size, size, 0);
  }
  return d.flip ? flip_horizontal(out) : out;
}

}  // namespace ganflow::data
