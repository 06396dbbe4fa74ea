#include "augment_policy.hpp"

#include <torch/torch.h>

namespace ganflow_augment {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

namespace {
// One uniform draw per image, shaped to broadcast over [B, C, H, W].
torch::Tensor per_image(const torch::Tensor& x) { return torch::rand({x.size(0), 1, 1, 1}, x.options()); }

torch::Tensor arange_long(int64_t n, const torch::Tensor& x) {
  return torch::arange(n, x.options().dtype(torch::kLong));
}

int64_t scaled(int64_t side, double ratio) { return int64_t(double(side) * ratio + 0.5); }
}  // namespace

torch::Tensor rand_brightness(const torch::Tensor& x) { return x + (per_image(x) - 0.5); }

torch::Tensor rand_saturation(const torch::Tensor& x) {
  torch::Tensor mean = x.mean(1, true);
  return (x - mean) * (per_image(x) * 2) + mean;
}

torch::Tensor rand_contrast(const torch::Tensor& x) {
  torch::Tensor mean = x.mean({1, 2, 3}, true);
  return (x - mean) * (per_image(x) + 0.5) + mean;
}

// Gathers from the image padded by one zero pixel, at the shifted (clamped) coordinates.
torch::Tensor rand_translation(const torch::Tensor& x, double ratio) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t sx = scaled(h, ratio), sy = scaled(w, ratio);
  auto longs = x.options().dtype(torch::kLong);
  torch::Tensor tx = torch::randint(-sx, sx + 1, {b, 1, 1}, longs);
  torch::Tensor ty = torch::randint(-sy, sy + 1, {b, 1, 1}, longs);
  auto grid = torch::meshgrid({arange_long(b, x), arange_long(h, x), arange_long(w, x)}, "ij");
  torch::Tensor gx = torch::clamp(grid[1] + tx + 1, 0, h + 1);
  torch::Tensor gy = torch::clamp(grid[2] + ty + 1, 0, w + 1);
  torch::Tensor padded = F::pad(x, F::PadFuncOptions({1, 1, 1, 1, 0, 0, 0, 0}));
  return padded.permute({0, 2, 3, 1}).contiguous().index({grid[0], gx, gy}).permute({0, 3, 1, 2});
}

torch::Tensor rand_cutout(const torch::Tensor& x, double ratio) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t ch = scaled(h, ratio), cw = scaled(w, ratio);
  auto longs = x.options().dtype(torch::kLong);
  torch::Tensor ox = torch::randint(0, h + (1 - ch % 2), {b, 1, 1}, longs);
  torch::Tensor oy = torch::randint(0, w + (1 - cw % 2), {b, 1, 1}, longs);
  auto grid = torch::meshgrid({arange_long(b, x), arange_long(ch, x), arange_long(cw, x)}, "ij");
  torch::Tensor gx = torch::clamp(grid[1] + ox - ch / 2, 0, h - 1);
  torch::Tensor gy = torch::clamp(grid[2] + oy - cw / 2, 0, w - 1);
  torch::Tensor mask = torch::ones({b, h, w}, x.options());
  mask.index_put_({grid[0], gx, gy}, 0);
  return x * mask.unsqueeze(1);
}

torch::Tensor apply_policy(const torch::Tensor& x, const std::vector<std::string>& policies, double p) {
  if (p <= 0) return x;
  torch::Tensor out = x;
  auto apply = [&](torch::Tensor (*transform)(const torch::Tensor&)) {
    torch::Tensor t = transform(out);
    out = p >= 1 ? t : torch::where(per_image(out) < p, t, out);
  };
  for (const std::string& policy : policies) {
    if (policy == "color") {
      apply(rand_brightness);
      apply(rand_saturation);
      apply(rand_contrast);
    } else if (policy == "translation") {
      apply([](const torch::Tensor& t) { return rand_translation(t); });
    } else if (policy == "cutout") {
      apply([](const torch::Tensor& t) { return rand_cutout(t); });
    } else {
      throw ganflow::Error("unknown augmentation policy '" + policy + "' (color, translation, cutout)");
    }
  }
  return out;
}

}  // namespace ganflow_augment
