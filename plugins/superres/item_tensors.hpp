#pragma once
// Items of a source as float tensors in [-1, 1] (the loader's convention), for stages that
// walk a source once in order (no shuffling, no loader threads needed).
#include <ganflow/ganflow.hpp>
#include <ganflow/item_source.hpp>

#include <torch/types.h>

#include <vector>

namespace ganflow_superres {

// Items [begin, end) of `source`: one tensor [n, C, H, W] per field. Item i is read with
// item_seed(seed, 0, i), the loader's rule, so a source's random degradation (crappify) is
// the same on every call and the one a loader with `seed` gives in epoch 0.
std::vector<torch::Tensor> read_items(const ganflow::ItemSource& source, std::size_t begin, std::size_t end,
                                      uint64_t seed);

}  // namespace ganflow_superres
