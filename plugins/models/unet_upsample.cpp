#include "unet_upsample.hpp"

#include <ganflow/layers/conv_transpose.hpp>

#include <torch/torch.h>

namespace ganflow_models {

namespace {
// ICNR: each group of 4 output channels starts equal, so PixelShuffle begins as a
// nearest-neighbour upsampling (no checkerboard at init).
void icnr_init(torch::Tensor& w, int64_t scale2) {
  torch::NoGradGuard ng;
  torch::Tensor k = torch::empty({w.size(0) / scale2, w.size(1), w.size(2), w.size(3)});
  torch::nn::init::kaiming_normal_(k, 0.0);
  w.copy_(k.repeat_interleave(scale2, 0));
}
}  // namespace

ganflow::layers::SequentialBlock upsample_block(int64_t ni, int64_t nf, Upsample kind, bool blur) {
  ganflow::layers::SequentialBlock seq;
  if (kind == Upsample::PixelShuffle) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(ni, nf * 4, 1));
    icnr_init(conv->weight, 4);
    {
      torch::NoGradGuard ng;
      conv->bias.zero_();
    }
    seq->push_back(conv);
    seq->push_back(torch::nn::PixelShuffle(2));
  } else {
    seq->push_back(ganflow::layers::FastConvTranspose2d(torch::nn::ConvTranspose2dOptions(ni, nf, 2).stride(2)));
  }
  if (blur) {
    seq->push_back(torch::nn::ReplicationPad2d(torch::nn::ReplicationPad2dOptions({1, 0, 1, 0})));
    seq->push_back(torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(1)));
  }
  seq->push_back(torch::nn::ReLU());
  return seq;
}

}  // namespace ganflow_models
