#pragma once
// Sample grids as PNG (epoch samples, show_xys).
#include <cstdint>
#include <string>

#include <torch/types.h>

namespace ganflow {

// images: [N, C, H, W] float in [-1, 1] (values outside are clamped), C = 1 or 3, any device.
// nrow: images per row; 0: ceil(sqrt(N)). 2-pixel black gaps, like torchvision's make_grid.
// Throws Error naming `path` when it cannot be written.
void save_image_grid(const torch::Tensor& images, const std::string& path, int64_t nrow = 0);

}  // namespace ganflow
