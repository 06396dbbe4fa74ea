#include "digit_stamp.hpp"

#include "ganflow/error.hpp"

namespace ganflow::data {

namespace {
// Rows of each digit, 3 bits wide (bit 2 = left column).
const uint8_t kFont[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};
}  // namespace

int stamp_width(int n_digits, int scale) { return n_digits > 0 ? (4 * n_digits - 1) * scale : 0; }
int stamp_height(int scale) { return 5 * scale; }

void stamp_digits(Image& img, const std::string& digits, int x, int y, int scale, uint8_t value) {
  for (std::size_t k = 0; k < digits.size(); ++k) {
    if (digits[k] < '0' || digits[k] > '9') throw Error("stamp_digits: not a digit: '" + digits + "'");
    const uint8_t* glyph = kFont[digits[k] - '0'];
    int gx = x + int(k) * 4 * scale;
    for (int r = 0; r < 5 * scale; ++r)
      for (int col = 0; col < 3 * scale; ++col) {
        if (!(glyph[r / scale] >> (2 - col / scale) & 1)) continue;
        int px = gx + col, py = y + r;
        if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
        for (int c = 0; c < img.channels; ++c) img.at(c, py, px) = value;
      }
  }
}

}  // namespace ganflow::data
