#include "ganflow/layers/conv_transpose.hpp"

#include <torch/autograd.h>

#include "conv_kernels.hpp"
#include "options_variant.hpp"
#include "ganflow/layers/fast_conv.hpp"

namespace ganflow::layers {

namespace {
using detail::AutocastCast;
using detail::dense;

std::vector<int64_t> vec(torch::IntArrayRef a) { return a.vec(); }

class ConvTransposeViaConv : public torch::autograd::Function<ConvTransposeViaConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               std::vector<int64_t> stride, std::vector<int64_t> padding,
                               std::vector<int64_t> output_padding, int64_t groups, std::vector<int64_t> dilation,
                               bool weight_grad_by_unfold) {
    int64_t n = x.size(0), out_c = w.size(1) * groups;
    std::vector<int64_t> y_shape = {n, out_c};
    for (int d = 0; d < 2; ++d)
      y_shape.push_back((x.size(d + 2) - 1) * stride[d] - 2 * padding[d] + dilation[d] * (w.size(d + 2) - 1) +
                        output_padding[d] + 1);
    // Only the shape of the convolution's "input" matters for its input-gradient.
    torch::Tensor shape_only = torch::empty(y_shape, x.options().memory_format(x.suggest_memory_format()));
    auto grads = at::convolution_backward(dense(x), shape_only, w, c10::nullopt, stride, padding, dilation, false,
                                          {0, 0}, groups, {true, false, false});
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["unfold"] = weight_grad_by_unfold;
    return std::get<0>(grads);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    detail::ConvBackwardInputs in(ctx, grad_out);
    const auto &x = in.x, &w = in.w, &gy = in.gy;
    const auto &stride = in.stride, &padding = in.padding;
    auto dilation = ctx->saved_data["dilation"].toIntVector();
    int64_t groups = ctx->saved_data["groups"].toInt();
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(0)) gx = at::conv2d(gy, w, {}, stride, padding, dilation, groups);
    // gw[c, o, i, j] = sum over n, l of x[n, c, l] * unfold(gy)[n, (o, i, j), l]: with
    // output_padding < stride (the rule's condition) unfold's positions over gy are x's.
    if (ctx->needs_input_grad(1) && ctx->saved_data["unfold"].toBool())
      gw = detail::unfold_product(x, gy, {w.size(2), w.size(3)}, stride, padding, dilation).view(w.sizes());
    else if (ctx->needs_input_grad(1))
      gw = std::get<1>(at::convolution_backward(dense(x), gy, w, c10::nullopt, stride, padding, dilation, false,
                                                {0, 0}, groups, {false, true, false}));
    return {gx, gw, {}, {}, {}, {}, {}, {}};
  }
};
}  // namespace

torch::Tensor conv_transpose2d_via_conv(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                        torch::IntArrayRef stride, torch::IntArrayRef padding,
                                        torch::IntArrayRef output_padding, int64_t groups, torch::IntArrayRef dilation,
                                        WeightGrad weight_grad) {
  AutocastCast cast(x);
  torch::Tensor y = ConvTransposeViaConv::apply(cast(x), cast(weight), vec(stride), vec(padding), vec(output_padding),
                                                groups, vec(dilation), weight_grad == WeightGrad::unfold);
  // The bias stays outside the function: autograd sums its gradient over N, H, W.
  return bias.defined() ? y + cast(bias).view({1, -1, 1, 1}) : y;
}

torch::Tensor conv_transpose2d_1x1_input(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  AutocastCast cast(x);
  torch::Tensor y = cast(x).flatten(1).mm(cast(weight).flatten(1)).view({x.size(0), weight.size(1), weight.size(2), weight.size(3)});
  y = y.contiguous(x.suggest_memory_format());
  return bias.defined() ? y + cast(bias).view({1, -1, 1, 1}) : y;
}

ConvTransposePath conv_transpose_path(const FastConvTranspose2dImpl& m, const torch::Tensor& input) {
  const auto& o = m.options;
  bool cpu = fast_conv_applies(input) && detail::option_if<torch::enumtype::kZeros>(o.padding_mode());
  // output_padding >= stride (allowed with dilation) has no convolution it is the gradient of.
  bool representable = o.output_padding()->at(0) < o.stride()->at(0) && o.output_padding()->at(1) < o.stride()->at(1);
  if (!cpu || !representable) return ConvTransposePath::stock;
  const auto& pad = detail::option_get<torch::ExpandingArray<2>>(o.padding());
  bool plain = o.groups() == 1 && detail::all_equal(*o.dilation(), 1) && detail::all_equal(*o.output_padding(), 0);
  if (plain && detail::all_equal(*pad, 0) && input.size(2) == 1 && input.size(3) == 1) return ConvTransposePath::matmul;
  if (o.out_channels() / o.groups() > 2) return ConvTransposePath::via_conv;
  return o.groups() == 1 ? ConvTransposePath::via_conv_unfold_weight_grad : ConvTransposePath::stock;
}

torch::Tensor FastConvTranspose2dImpl::forward(const torch::Tensor& input) {
  ConvTransposePath path = conv_transpose_path(*this, input);
  if (path == ConvTransposePath::stock) return torch::nn::ConvTranspose2dImpl::forward(input);
  if (path == ConvTransposePath::matmul) return conv_transpose2d_1x1_input(input, weight, bias);
  auto pad = detail::option_get<torch::ExpandingArray<2>>(options.padding());
  return conv_transpose2d_via_conv(input, weight, bias, *options.stride(), *pad, *options.output_padding(),
                                   options.groups(), *options.dilation(),
                                   path == ConvTransposePath::via_conv ? WeightGrad::convolution : WeightGrad::unfold);
}

}  // namespace ganflow::layers
