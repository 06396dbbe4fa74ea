#include "ganflow/image_grid.hpp"

#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "ganflow/error.hpp"
#include "ganflow/unit_range.hpp"

namespace ganflow {

Image image_grid(const torch::Tensor& images, int64_t nrow) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3) || images.size(0) == 0)
    throw Error("an image grid needs [N, 1 or 3, H, W] images with N >= 1, got " + std::to_string(images.dim()) +
                "-d tensor " + c10::str(images.sizes()));
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3), pad = 2;
  const int64_t cols = nrow > 0 ? std::min(nrow, n) : int64_t(std::ceil(std::sqrt(double(n))));
  const int64_t rows = (n + cols - 1) / cols;
  torch::Tensor u8 = pixels_from_unit(images).to(torch::kCPU).contiguous();
  Image grid(int(c), int(rows * (h + pad) + pad), int(cols * (w + pad) + pad), 0);
  const uint8_t* src = u8.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = pad + (i / cols) * (h + pad), left = pad + (i % cols) * (w + pad);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        std::memcpy(&grid.at(int(ch), int(top + y), int(left)), src + ((i * c + ch) * h + y) * w, std::size_t(w));
  }
  return grid;
}

void save_image_grid(const torch::Tensor& images, const std::string& path, int64_t nrow) {
  try {
    save_image(image_grid(images, nrow), path);
  } catch (const Error& e) {
    if (e.message().find(path) != std::string::npos) throw;
    throw Error(path + ": " + e.message());
  }
}

}  // namespace ganflow
