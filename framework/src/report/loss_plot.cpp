#include "ganflow/framework/report/loss_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "ganflow/image_io.hpp"

// Debian's libstb-dev: text as filled rectangles, no font file needed.
#include <stb/stb_easy_font.h>

namespace ganflow {

// Named, not anonymous: a unity build puts this file beside others with their own helpers.
namespace loss_plot_detail {
// The plot area sits inside these margins: tick values on the left, the step below, the
// legend above.
constexpr int kW = 640, kH = 360, kLeft = 62, kRight = 16, kTop = 30, kBottom = 40;
constexpr int kScale = 1;  // text pixels per font unit

void put(Image& img, int x, int y, const uint8_t rgb[3]) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  for (int c = 0; c < 3; ++c) img.at(c, y, x) = rgb[c];
}

void fill(Image& img, int x0, int y0, int x1, int y1, const uint8_t rgb[3]) {
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) put(img, x, y, rgb);
}

void line(Image& img, int x0, int y0, int x1, int y1, const uint8_t rgb[3], bool thick = true) {
  int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
  while (true) {  // Bresenham, 2 px thick
    put(img, x0, y0, rgb);
    if (thick) put(img, x0, y0 + 1, rgb);
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) err += dy, x0 += sx;
    if (e2 <= dx) err += dx, y0 += sy;
  }
}

int text_width(const std::string& s) { return stb_easy_font_width(const_cast<char*>(s.c_str())) * kScale; }

// stb_easy_font's quads are axis-aligned rectangles: fill each one.
void text(Image& img, int x, int y, const std::string& s, const uint8_t rgb[3]) {
  struct Vertex {
    float x, y, z;
    unsigned char color[4];
  };
  std::vector<Vertex> buffer(4 * 40 * (s.size() + 1));  // at most ~30 quads a character
  unsigned char color[4] = {rgb[0], rgb[1], rgb[2], 255};
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(s.c_str()), color, buffer.data(),
                                        int(buffer.size() * sizeof(Vertex)));
  for (int q = 0; q < quads; ++q) {
    const Vertex* v = buffer.data() + 4 * q;
    const float x0 = std::min({v[0].x, v[1].x, v[2].x, v[3].x}), x1 = std::max({v[0].x, v[1].x, v[2].x, v[3].x});
    const float y0 = std::min({v[0].y, v[1].y, v[2].y, v[3].y}), y1 = std::max({v[0].y, v[1].y, v[2].y, v[3].y});
    fill(img, x + int(x0 * kScale), y + int(y0 * kScale), x + int(x1 * kScale), y + int(y1 * kScale), rgb);
  }
}

// Round tick positions (1, 2 or 5 times a power of ten) covering [lo, hi], about `want` of them.
std::vector<double> ticks(double lo, double hi, int want) {
  const double raw = (hi - lo) / want, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return t;
}

std::string label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace loss_plot_detail

void save_loss_plot(const std::vector<LossPoint>& points, const std::string& path) {
  using namespace loss_plot_detail;
  Image img(3, kH, kW, 255);
  double lo = INFINITY, hi = -INFINITY, s0 = INFINITY, s1 = -INFINITY;
  for (auto& p : points) {
    for (double v : {p.gen, p.crit})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    s0 = std::min(s0, p.step), s1 = std::max(s1, p.step);
  }
  const uint8_t grey[3] = {160, 160, 160}, light[3] = {228, 228, 228}, ink[3] = {40, 40, 40},
                red[3] = {214, 39, 40}, blue[3] = {31, 119, 180};
  const int x_lo = kLeft, x_hi = kW - kRight, y_lo = kH - kBottom, y_hi = kTop;
  // Legend, top right: the colours of the two curves.
  int lx = x_hi - text_width("generator") - text_width("critic") - 52;
  fill(img, lx, 10, lx + 14, 18, red);
  text(img, lx + 18, 10, "generator", ink);
  lx += 18 + text_width("generator") + 14;
  fill(img, lx, 10, lx + 14, 18, blue);
  text(img, lx + 18, 10, "critic", ink);
  text(img, 8, 10, "loss (smoothed)", ink);
  const std::string x_title = "step";
  text(img, (x_lo + x_hi - text_width(x_title)) / 2, kH - 14, x_title, ink);
  if (std::isfinite(lo) && hi >= lo && s1 >= s0) {
    if (hi == lo) hi = lo + 1;
    if (s1 == s0) s1 = s0 + 1;
    auto px = [&](double s) { return x_lo + int(std::lround((s - s0) / (s1 - s0) * (x_hi - x_lo))); };
    auto py = [&](double v) { return y_lo - int(std::lround((v - lo) / (hi - lo) * (y_lo - y_hi))); };
    for (double v : ticks(lo, hi, 5)) {  // grid lines and values
      const int y = py(v);
      line(img, x_lo, y, x_hi, y, v == 0 ? grey : light, false);
      line(img, x_lo - 4, y, x_lo, y, grey, false);
      const std::string l = label(v);
      text(img, x_lo - 7 - text_width(l), y - 3, l, ink);
    }
    for (double s : ticks(s0, s1, 6)) {
      const int x = px(s);
      line(img, x, y_hi, x, y_lo, light, false);
      line(img, x, y_lo, x, y_lo + 4, grey, false);
      const std::string l = label(s);
      text(img, x - text_width(l) / 2, y_lo + 8, l, ink);
    }
    for (std::size_t i = 1; i < points.size(); ++i) {
      const LossPoint &a = points[i - 1], &b = points[i];
      if (std::isfinite(a.gen) && std::isfinite(b.gen)) line(img, px(a.step), py(a.gen), px(b.step), py(b.gen), red);
      if (std::isfinite(a.crit) && std::isfinite(b.crit)) line(img, px(a.step), py(a.crit), px(b.step), py(b.crit), blue);
    }
  }
  line(img, x_lo, y_lo, x_hi, y_lo, grey);  // axes, over the grid
  line(img, x_lo, y_hi, x_lo, y_lo, grey);
  save_image(img, path);
}

}  // namespace ganflow
