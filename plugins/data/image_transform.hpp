#pragma once
// Resize to a square (fastai ResizeMethod crop / pad / squish) plus seeded random crop and flip.
// The random draw is separate from its application so paired sources apply the same draw to
// x and y (fastai tfm_y).
#include <string>

#include "ganflow/image_io.hpp"
#include "ganflow/params.hpp"
#include "item_rng.hpp"

namespace ganflow::data {

enum class ResizeMethod { Crop, Pad, Squish };

struct TransformDraw {
  double row_pct = 0.5, col_pct = 0.5;  // crop window placement
  bool flip = false;
};

struct ImageTransform {
  ResizeMethod method = ResizeMethod::Crop;
  bool random_crop = false;  // else centre crop
  bool flip = false;         // random horizontal flip, p = 0.5

  TransformDraw draw(ItemRng& rng) const;
  // `size` x `size` output.
  Image apply(const Image& img, int size, const TransformDraw& d) const;
};

}  // namespace ganflow::data
