#include "ganflow/layers/channels_last.hpp"

#include <ATen/ATen.h>

namespace ganflow::layers {

at::Tensor channels_last_strided(const at::Tensor& t) {
  TORCH_CHECK(t.dim() == 4, "channels_last_strided: a 4-D tensor, not ", t.dim(), "-D");
  at::Tensor out = at::empty(t.sizes(), t.options().memory_format(at::MemoryFormat::ChannelsLast));
  if (out.strides() == t.strides()) return t;
  return out.copy_(t);
}

}  // namespace ganflow::layers
