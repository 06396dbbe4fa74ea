#pragma once
// Draws decimal digits into an image with a built-in 3x5 bitmap font (crappify stamps the
// JPEG quality it used, as fastai's crappify.py does with PIL's ImageDraw.text).
#include <string>

#include "ganflow/image_io.hpp"

namespace ganflow::data {

// Top-left corner (x, y); each font pixel becomes a `scale` x `scale` block; clipped at the edges.
void stamp_digits(Image& img, const std::string& digits, int x, int y, int scale, uint8_t value);
// Width and height in pixels of `n_digits` digits at `scale`.
int stamp_width(int n_digits, int scale);
int stamp_height(int scale);

}  // namespace ganflow::data
