#include "ganflow/unit_range.hpp"

#include <torch/torch.h>

#include <algorithm>

#include "ganflow/error.hpp"

namespace ganflow {

torch::Tensor unit_from_pixels(const torch::Tensor& pixels) {
  return pixels.to(torch::kFloat, /*non_blocking=*/false, /*copy=*/true).div_(127.5).sub_(1.0);
}

torch::Tensor pixels_from_unit(const torch::Tensor& x) {
  return x.detach().to(torch::kFloat).clamp(-1, 1).add(1).mul(127.5).round().to(torch::kUInt8);
}

Image image_from_unit(const torch::Tensor& chw) {
  if (chw.dim() != 3 || (chw.size(0) != 1 && chw.size(0) != 3))
    throw Error("an image needs [1 or 3, H, W] values, got " + c10::str(chw.sizes()));
  torch::Tensor u8 = pixels_from_unit(chw).to(torch::kCPU).contiguous();
  Image img(int(u8.size(0)), int(u8.size(1)), int(u8.size(2)));
  std::copy(u8.data_ptr<uint8_t>(), u8.data_ptr<uint8_t>() + u8.numel(), img.data.begin());
  return img;
}

}  // namespace ganflow
