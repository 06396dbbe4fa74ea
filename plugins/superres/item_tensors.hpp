#pragma once
// Items of a source as float tensors in [-1, 1] (the loader's convention) and back to images,
// for stages that walk a source once in order (no shuffling, no loader threads needed).
#include <ganflow/ganflow.hpp>
#include <ganflow/image_io.hpp>
#include <ganflow/item_source.hpp>

#include <torch/types.h>

#include <vector>

namespace ganflow_superres {

// Items [begin, end) of `source`: one tensor [n, C, H, W] per field. Item i is read with
// item_seed(seed, 0, i), the loader's rule, so a source's random degradation (crappify) is
// the same on every call and the one a loader with `seed` gives in epoch 0.
std::vector<torch::Tensor> read_items(const ganflow::ItemSource& source, std::size_t begin, std::size_t end,
                                      uint64_t seed);

// [C, H, W] in [-1, 1] (clamped) -> uint8 image.
ganflow::Image to_image(const torch::Tensor& chw);

// Rows of images side by side with a 2-pixel gap: rows[r][c]; all of one size, converted to
// the largest channel count.
ganflow::Image image_grid(const std::vector<std::vector<ganflow::Image>>& rows);

}  // namespace ganflow_superres
