#include "ganflow/layers/conv_transpose.hpp"

#include <torch/autograd.h>

#include "conv_kernels.hpp"
#include "options_variant.hpp"
#include "ganflow/layers/fast_conv.hpp"
#include "ganflow/layers/few_channel_transposed_conv.hpp"

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
    torch::Tensor y;
    if (groups == 1 && few_channel_transposed_conv_applies(x, w)) {
      y = few_channel_transposed_conv(x, w, stride, padding, dilation, {y_shape[2], y_shape[3]});
    } else {
      // Only the shape of the convolution's "input" matters for its input-gradient.
      torch::Tensor shape_only = torch::empty(y_shape, x.options().memory_format(x.suggest_memory_format()));
      y = std::get<0>(at::convolution_backward(dense(x), shape_only, w, c10::nullopt, stride, padding, dilation, false,
                                               {0, 0}, groups, {true, false, false}));
    }
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["unfold"] = weight_grad_by_unfold;
    return y;
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
  const int64_t n = x.size(0), out = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  torch::Tensor y;
  if (weight.suggest_memory_format() == at::MemoryFormat::ChannelsLast) {
    // A channels-last weight [c, out, kh, kw] lies in memory as [c, kh, kw, out]: the product
    // then comes out channels-last, as oneDNN's convolutions would make it, without a copy.
    y = cast(x).flatten(1).mm(cast(weight).permute({0, 2, 3, 1}).reshape({weight.size(0), -1}));
    y = y.view({n, kh, kw, out}).permute({0, 3, 1, 2});
  } else {
    y = cast(x).flatten(1).mm(cast(weight).flatten(1)).view({n, out, kh, kw});
    y = y.contiguous(x.suggest_memory_format());
  }
  return bias.defined() ? y + cast(bias).view({1, -1, 1, 1}) : y;
}

ConvTransposePath conv_transpose_path(const torch::Tensor& input, const torch::Tensor& weight, torch::IntArrayRef stride,
                                      torch::IntArrayRef padding, torch::IntArrayRef output_padding, int64_t groups,
                                      torch::IntArrayRef dilation) {
  // output_padding >= stride (allowed with dilation) has no convolution it is the gradient of.
  bool representable = input.dim() == 4 && output_padding.size() == 2 && stride.size() == 2 &&
                       output_padding[0] < stride[0] && output_padding[1] < stride[1];
  if (!fast_conv_applies(input) || !representable) return ConvTransposePath::stock;
  bool plain = groups == 1 && detail::all_equal(dilation, 1) && detail::all_equal(output_padding, 0);
  if (plain && detail::all_equal(padding, 0) && input.size(2) == 1 && input.size(3) == 1) return ConvTransposePath::matmul;
  if (weight.size(1) > 2) return ConvTransposePath::via_conv;  // output channels per group
  if (groups != 1) return ConvTransposePath::stock;
  return conv_isa() == ConvIsa::avx512 ? ConvTransposePath::via_conv : ConvTransposePath::via_conv_unfold_weight_grad;
}

ConvTransposePath conv_transpose_path(const FastConvTranspose2dImpl& m, const torch::Tensor& input) {
  const auto& o = m.options;
  if (!detail::option_if<torch::enumtype::kZeros>(o.padding_mode())) return ConvTransposePath::stock;
  return conv_transpose_path(input, m.weight, *o.stride(), *detail::option_get<torch::ExpandingArray<2>>(o.padding()),
                             *o.output_padding(), o.groups(), *o.dilation());
}

torch::Tensor fast_conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                    torch::IntArrayRef stride, torch::IntArrayRef padding,
                                    torch::IntArrayRef output_padding, int64_t groups, torch::IntArrayRef dilation) {
  const ConvTransposePath path = conv_transpose_path(x, weight, stride, padding, output_padding, groups, dilation);
  if (path == ConvTransposePath::stock)
    return torch::conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation);
  if (path == ConvTransposePath::matmul) return conv_transpose2d_1x1_input(x, weight, bias);
  return conv_transpose2d_via_conv(x, weight, bias, stride, padding, output_padding, groups, dilation,
                                   path == ConvTransposePath::via_conv ? WeightGrad::convolution : WeightGrad::unfold);
}

torch::Tensor FastConvTranspose2dImpl::forward(const torch::Tensor& input) {
  if (conv_transpose_path(*this, input) == ConvTransposePath::stock) return torch::nn::ConvTranspose2dImpl::forward(input);
  auto pad = detail::option_get<torch::ExpandingArray<2>>(options.padding());
  return fast_conv_transpose2d(input, weight, bias, *options.stride(), *pad, *options.output_padding(), options.groups(),
                               *options.dilation());
}

}  // namespace ganflow::layers
