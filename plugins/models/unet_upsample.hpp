#pragma once
// The decoder's x2 upsampling of unet_generator: fastai's PixelShuffle_ICNR (1x1 conv to 4x
// channels with ICNR init, PixelShuffle(2)) or a 2x2 stride-2 transposed conv, each followed by
// ReLU, with fastai's optional blur (ReplicationPad2d((1,0,1,0)) + AvgPool2d(2, stride 1))
// against checkerboard artefacts.
#include <ganflow/layers/sequential_block.hpp>

namespace ganflow_models {

enum class Upsample { PixelShuffle, Transpose };

ganflow::layers::SequentialBlock upsample_block(int64_t ni, int64_t nf, Upsample kind, bool blur);

}  // namespace ganflow_models
