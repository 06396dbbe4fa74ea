#include "ganflow/framework/data/image_grid.hpp"

#include <cmath>
#include <cstring>

#include "ganflow/error.hpp"
#include "ganflow/image_io.hpp"

namespace ganflow {

void save_image_grid(const torch::Tensor& images, const std::string& path, int64_t nrow) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3) || images.size(0) == 0)
    throw Error(path + ": an image grid needs [N, 1 or 3, H, W] images with N >= 1, got " + std::to_string(images.dim()) +
                "-d tensor " + c10::str(images.sizes()));
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3), pad = 2;
  const int64_t cols = nrow > 0 ? std::min(nrow, n) : int64_t(std::ceil(std::sqrt(double(n))));
  const int64_t rows = (n + cols - 1) / cols;
  torch::Tensor u8 = images.detach().to(torch::kCPU, torch::kFloat).clamp(-1, 1).add(1).mul(127.5).round().to(torch::kUInt8).contiguous();
  Image grid(int(c), int(rows * (h + pad) + pad), int(cols * (w + pad) + pad), 0);
  const uint8_t* src = u8.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = pad + (i / cols) * (h + pad), left = pad + (i % cols) * (w + pad);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        std::memcpy(&grid.at(int(ch), int(top + y), int(left)), src + ((i * c + ch) * h + y) * w, std::size_t(w));
  }
  save_image(grid, path);
}

}  // namespace ganflow
