#include "ganflow/layers/channels_last.hpp"

#include <ATen/ATen.h>
#include <torch/torch.h>

namespace ganflow::layers {

at::Tensor channels_last_strided(const at::Tensor& t) {
  TORCH_CHECK(t.dim() == 4, "channels_last_strided: a 4-D tensor, not ", t.dim(), "-D");
  at::Tensor out = at::empty(t.sizes(), t.options().memory_format(at::MemoryFormat::ChannelsLast));
  if (out.strides() == t.strides()) return t;
  return out.copy_(t);
}

void to_channels_last(torch::nn::Module& m) {
  torch::NoGradGuard ng;
  auto convert = [](torch::Tensor& t) {
    if (t.defined() && t.dim() == 4) t.set_data(channels_last_strided(t));
  };
  for (auto& p : m.parameters()) convert(p);
  for (auto& b : m.buffers()) convert(b);
}

}  // namespace ganflow::layers
