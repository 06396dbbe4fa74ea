#pragma once
// Images tiled into one picture (sample grids, before/after grids), in torchvision's
// make_grid layout: a 2-pixel black gap around and between the images.
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "ganflow/export.hpp"
#include "ganflow/image_io.hpp"

namespace ganflow {

// images: [N, C, H, W] float in [-1, 1] (values outside are clamped), C = 1 or 3, N >= 1,
// any device. nrow: images per row; 0: ceil(sqrt(N)). An Error for any other shape.
GANFLOW_API Image image_grid(const torch::Tensor& images, int64_t nrow = 0);
// The same, written as a PNG; an Error names `path` when the shape is wrong or it cannot be written.
GANFLOW_API void save_image_grid(const torch::Tensor& images, const std::string& path, int64_t nrow = 0);

}  // namespace ganflow
