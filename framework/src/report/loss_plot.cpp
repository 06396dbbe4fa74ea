#include "ganflow/framework/report/loss_plot.hpp"

#include <algorithm>
#include <cmath>

#include "ganflow/image_io.hpp"

namespace ganflow {

namespace {
constexpr int kW = 640, kH = 360, kMargin = 24;

void put(Image& img, int x, int y, const uint8_t rgb[3]) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  for (int c = 0; c < 3; ++c) img.at(c, y, x) = rgb[c];
}

void line(Image& img, int x0, int y0, int x1, int y1, const uint8_t rgb[3]) {
  int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
  while (true) {  // Bresenham, 2 px thick
    put(img, x0, y0, rgb);
    put(img, x0, y0 + 1, rgb);
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) err += dy, x0 += sx;
    if (e2 <= dx) err += dx, y0 += sy;
  }
}
}  // namespace

void save_loss_plot(const std::vector<LossPoint>& points, const std::string& path) {
  Image img(3, kH, kW, 255);
  double lo = INFINITY, hi = -INFINITY, s0 = INFINITY, s1 = -INFINITY;
  for (auto& p : points) {
    for (double v : {p.gen, p.crit})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    s0 = std::min(s0, p.step), s1 = std::max(s1, p.step);
  }
  const uint8_t grey[3] = {160, 160, 160}, red[3] = {214, 39, 40}, blue[3] = {31, 119, 180};
  line(img, kMargin, kH - kMargin, kW - kMargin, kH - kMargin, grey);  // axes
  line(img, kMargin, kMargin, kMargin, kH - kMargin, grey);
  if (std::isfinite(lo) && hi >= lo && s1 >= s0) {
    if (hi == lo) hi = lo + 1;
    if (s1 == s0) s1 = s0 + 1;
    if (lo < 0 && hi > 0) {  // the zero line, WGAN losses cross it
      int y0 = kH - kMargin - int((0 - lo) / (hi - lo) * (kH - 2 * kMargin));
      line(img, kMargin, y0, kW - kMargin, y0, grey);
    }
    auto px = [&](double s) { return kMargin + int((s - s0) / (s1 - s0) * (kW - 2 * kMargin)); };
    auto py = [&](double v) { return kH - kMargin - int((v - lo) / (hi - lo) * (kH - 2 * kMargin)); };
    for (std::size_t i = 1; i < points.size(); ++i) {
      const LossPoint &a = points[i - 1], &b = points[i];
      if (std::isfinite(a.gen) && std::isfinite(b.gen)) line(img, px(a.step), py(a.gen), px(b.step), py(b.gen), red);
      if (std::isfinite(a.crit) && std::isfinite(b.crit)) line(img, px(a.step), py(a.crit), px(b.step), py(b.crit), blue);
    }
  }
  save_image(img, path);
}

}  // namespace ganflow
