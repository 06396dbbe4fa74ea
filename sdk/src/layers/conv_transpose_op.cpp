// The TorchScript op ganflow::conv_transpose2d: aten::conv_transpose2d's signature, computed on
// the fast path's rule (fast_conv_transpose2d). ScriptedModule routes the transposed
// convolutions of an imported network through it; exports route them back to aten's.
#include <torch/library.h>

#include "ganflow/layers/conv_transpose.hpp"

namespace {
torch::Tensor conv_transpose2d_op(const torch::Tensor& x, const torch::Tensor& weight,
                                  const c10::optional<torch::Tensor>& bias, c10::IntArrayRef stride,
                                  c10::IntArrayRef padding, c10::IntArrayRef output_padding, int64_t groups,
                                  c10::IntArrayRef dilation) {
  return ganflow::layers::fast_conv_transpose2d(x, weight, bias.value_or(torch::Tensor()), stride, padding,
                                                output_padding, groups, dilation);
}
}  // namespace

TORCH_LIBRARY(ganflow, m) {
  m.def("conv_transpose2d(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, "
        "int[] output_padding, int groups, int[] dilation) -> Tensor");
}

// Composite: autograd records the ops (and the fast path's own autograd function) inside.
TORCH_LIBRARY_IMPL(ganflow, CompositeImplicitAutograd, m) { m.impl("conv_transpose2d", conv_transpose2d_op); }
