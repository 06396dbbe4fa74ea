#include "ganflow/layers/conv2d.hpp"

#include <torch/autograd.h>

#include "conv_kernels.hpp"
#include "ganflow/layers/few_channel_transposed_conv.hpp"
#include "options_variant.hpp"

namespace ganflow::layers {

namespace {
using detail::AutocastCast;
using detail::dense;

// The forward through oneDNN; the input gradient from few_channel_transposed_conv where it
// applies (not under create_graph: it is no autograd op), else oneDNN's; the weight gradient
// from oneDNN or from unfold(x): with groups 1 and dilation 1 unfold's sliding positions are
// exactly the output's positions.
class Conv2dFewInputChannels : public torch::autograd::Function<Conv2dFewInputChannels> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               std::vector<int64_t> stride, std::vector<int64_t> padding, bool weight_grad_by_unfold) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["unfold"] = weight_grad_by_unfold;
    return at::convolution(dense(x), w, c10::nullopt, stride, padding, {1, 1}, false, {0, 0}, 1);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    detail::ConvBackwardInputs in(ctx, grad_out);
    const auto &x = in.x, &w = in.w, &gy = in.gy;
    const auto &stride = in.stride, &padding = in.padding;
    const bool unfold = ctx->saved_data["unfold"].toBool();
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(0) && !torch::GradMode::is_enabled() && few_channel_transposed_conv_applies(gy, w))
      gx = few_channel_transposed_conv(gy, w, stride, padding, {1, 1}, {x.size(2), x.size(3)});
    const bool stock_input_grad = ctx->needs_input_grad(0) && !gx.defined();
    if (stock_input_grad || (ctx->needs_input_grad(1) && !unfold)) {
      auto grads = at::convolution_backward(gy, dense(x), w, c10::nullopt, stride, padding, {1, 1}, false, {0, 0}, 1,
                                            {stock_input_grad, ctx->needs_input_grad(1) && !unfold, false});
      if (stock_input_grad) gx = std::get<0>(grads);
      if (!unfold) gw = std::get<1>(grads);
    }
    if (ctx->needs_input_grad(1) && unfold)
      gw = detail::unfold_product(gy, x, {w.size(2), w.size(3)}, stride, padding, {1, 1}).view(w.sizes());
    return {gx, gw, {}, {}, {}};
  }
};
}  // namespace

torch::Tensor conv2d_whole_input(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  AutocastCast cast(x);
  torch::Tensor y = cast(x).flatten(1).mm(cast(weight).flatten(1).t());
  if (bias.defined()) y = y + cast(bias);
  return y.view({x.size(0), weight.size(0), 1, 1});
}

torch::Tensor conv2d_few_input_channels(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                        torch::IntArrayRef stride, torch::IntArrayRef padding, WeightGrad weight_grad) {
  AutocastCast cast(x);
  torch::Tensor y = Conv2dFewInputChannels::apply(cast(x), cast(weight), stride.vec(), padding.vec(),
                                                  weight_grad == WeightGrad::unfold);
  // The bias stays outside the function: autograd sums its gradient over N, H, W.
  return bias.defined() ? y + cast(bias).view({1, -1, 1, 1}) : y;
}

Conv2dPath conv2d_path(const FastConv2dImpl& m, const torch::Tensor& input) {
  const auto& o = m.options;
  const auto* pad = detail::option_if<torch::ExpandingArray<2>>(o.padding());  // not "same" / "valid"
  bool plain = fast_conv_applies(input) && pad && detail::option_if<torch::enumtype::kZeros>(o.padding_mode()) &&
               o.groups() == 1 && detail::all_equal(*o.dilation(), 1);
  if (!plain) return Conv2dPath::stock;
  if (detail::all_equal(**pad, 0) && input.size(2) == (*o.kernel_size())[0] && input.size(3) == (*o.kernel_size())[1])
    return Conv2dPath::matmul;
  if (conv_isa() == ConvIsa::avx512) return o.in_channels() <= kFewChannels ? Conv2dPath::few_input_channels : Conv2dPath::stock;
  return o.in_channels() <= 2 ? Conv2dPath::unfold_weight_grad : Conv2dPath::stock;
}

torch::Tensor FastConv2dImpl::forward(const torch::Tensor& input) {
  const Conv2dPath path = conv2d_path(*this, input);
  switch (path) {
    case Conv2dPath::matmul: return conv2d_whole_input(input, weight, bias);
    case Conv2dPath::unfold_weight_grad:
    case Conv2dPath::few_input_channels:
      return conv2d_few_input_channels(input, weight, bias, *options.stride(),
                                       *detail::option_if<torch::ExpandingArray<2>>(options.padding()),
                                       path == Conv2dPath::unfold_weight_grad ? WeightGrad::unfold : WeightGrad::convolution);
    case Conv2dPath::stock: break;
  }
  return torch::nn::Conv2dImpl::forward(input);
}

}  // namespace ganflow::layers
