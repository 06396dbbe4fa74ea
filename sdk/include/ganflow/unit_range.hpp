#pragma once
// Images as the networks see them, float in [-1, 1], and as files hold them, uint8 0..255:
// x = p / 127.5 - 1. The loader, the sample grids, generate and the metrics all convert here,
// so a saved image is exactly what the quantised network output was.
#include <torch/types.h>

#include "ganflow/export.hpp"
#include "ganflow/image_io.hpp"

namespace ganflow {

// uint8 -> float on the same device; a new tensor (never aliases `pixels`).
GANFLOW_API torch::Tensor unit_from_pixels(const torch::Tensor& pixels);
// The same conversion into `out` (float, `pixels`' shape and device), bit-equal to
// unit_from_pixels; on the CPU one pass instead of three. Returns `out`.
GANFLOW_API torch::Tensor& unit_from_pixels_into(torch::Tensor& out, const torch::Tensor& pixels);
// float (values outside [-1, 1] clamped) -> uint8 on the same device, rounded to nearest.
GANFLOW_API torch::Tensor pixels_from_unit(const torch::Tensor& x);
// [C, H, W] in [-1, 1], C = 1 or 3, any device -> an Image.
GANFLOW_API Image image_from_unit(const torch::Tensor& chw);

}  // namespace ganflow
