#include "ganflow/layers/conv_transpose.hpp"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/autograd.h>
#include <torch/nn/functional/conv.h>
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ganflow::layers {

namespace {
std::atomic<bool>& fast_flag() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("GANFLOW_STOCK_CONV_TRANSPOSE");
    return !(env && std::strcmp(env, "1") == 0);
  }()};
  return on;
}

std::vector<int64_t> vec(torch::IntArrayRef a) { return a.vec(); }

// The layout the caller's tensor suggests (channels-last stays channels-last: oneDNN runs it natively).
torch::Tensor dense(const torch::Tensor& t) { return t.contiguous(t.suggest_memory_format()); }

// CPU autocast's lower-precision dtype, if autocast is on (LibTorch 2.4 changed the API).
c10::optional<at::ScalarType> cpu_autocast_dtype() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  if (!at::autocast::is_autocast_enabled(at::kCPU)) return c10::nullopt;
  return at::autocast::get_autocast_dtype(at::kCPU);
#else
  if (!at::autocast::is_cpu_enabled()) return c10::nullopt;
  return at::autocast::get_autocast_cpu_dtype();
#endif
}

// Autocast does not see a custom autograd function or a hand-built matrix product: cast as it
// casts the stock op (input, weight and bias to the lower precision, the weight cast cached).
// The casts are autograd ops, so the gradients reach the parameters in their own dtype.
struct AutocastCast {
  c10::optional<at::ScalarType> dtype;
  explicit AutocastCast(const torch::Tensor& x) : dtype(x.is_cpu() ? cpu_autocast_dtype() : c10::nullopt) {}
  torch::Tensor operator()(const torch::Tensor& t) const {
    return dtype && t.defined() ? at::autocast::cached_cast(*dtype, t, c10::DeviceType::CPU) : t;
  }
};

// gw[c, o, i, j] = sum over n and the input positions l of x[n, c, l] * unfold(gy)[n, (o, i, j), l]:
// with output_padding < stride (the rule's condition) unfold's sliding positions over grad_y
// are exactly the input's positions.
torch::Tensor weight_grad_by_unfold(const torch::Tensor& x, const torch::Tensor& gy, torch::IntArrayRef w_sizes,
                                    torch::IntArrayRef stride, torch::IntArrayRef padding, torch::IntArrayRef dilation) {
  int64_t n = x.size(0), c = x.size(1);
  torch::Tensor cols = at::im2col(gy, {w_sizes[2], w_sizes[3]}, dilation, padding, stride);  // [n, o*kh*kw, L]
  torch::Tensor xs = x.reshape({n, c, -1}).transpose(0, 1).reshape({c, -1});
  torch::Tensor us = cols.transpose(0, 1).reshape({cols.size(1), -1});
  return xs.mm(us.t()).view(w_sizes);
}

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
    auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1];
    torch::Tensor gy = dense(grad_out[0]).to(w.scalar_type());
    auto stride = ctx->saved_data["stride"].toIntVector();
    auto padding = ctx->saved_data["padding"].toIntVector();
    auto dilation = ctx->saved_data["dilation"].toIntVector();
    int64_t groups = ctx->saved_data["groups"].toInt();
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(0)) gx = at::conv2d(gy, w, {}, stride, padding, dilation, groups);
    if (ctx->needs_input_grad(1) && ctx->saved_data["unfold"].toBool())
      gw = weight_grad_by_unfold(x, gy, w.sizes(), stride, padding, dilation);
    else if (ctx->needs_input_grad(1))
      gw = std::get<1>(at::convolution_backward(dense(x), gy, w, c10::nullopt, stride, padding, dilation, false,
                                                {0, 0}, groups, {false, true, false}));
    return {gx, gw, {}, {}, {}, {}, {}, {}};
  }
};
}  // namespace

bool fast_conv_transpose_enabled() { return fast_flag().load(); }
void set_fast_conv_transpose(bool on) { fast_flag().store(on); }

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
  bool cpu = input.device().is_cpu() && input.dim() == 4 && fast_conv_transpose_enabled() &&
             at::globalContext().userEnabledMkldnn() && at::hasMKLDNN() &&
             c10::get_if<torch::enumtype::kZeros>(&o.padding_mode());
  // output_padding >= stride (allowed with dilation) has no convolution it is the gradient of.
  bool representable = o.output_padding()->at(0) < o.stride()->at(0) && o.output_padding()->at(1) < o.stride()->at(1);
  if (!cpu || !representable) return ConvTransposePath::stock;
  auto all = [](torch::IntArrayRef a, int64_t v) { return std::all_of(a.begin(), a.end(), [v](int64_t e) { return e == v; }); };
  const auto& pad = c10::get<torch::ExpandingArray<2>>(o.padding());
  bool plain = o.groups() == 1 && all(*o.dilation(), 1) && all(*o.output_padding(), 0);
  if (plain && all(*pad, 0) && input.size(2) == 1 && input.size(3) == 1) return ConvTransposePath::matmul;
  if (o.out_channels() / o.groups() > 2) return ConvTransposePath::via_conv;
  return o.groups() == 1 ? ConvTransposePath::via_conv_unfold_weight_grad : ConvTransposePath::stock;
}

torch::Tensor FastConvTranspose2dImpl::forward(const torch::Tensor& input) {
  ConvTransposePath path = conv_transpose_path(*this, input);
  if (path == ConvTransposePath::stock) return torch::nn::ConvTranspose2dImpl::forward(input);
  if (path == ConvTransposePath::matmul) return conv_transpose2d_1x1_input(input, weight, bias);
  auto pad = c10::get<torch::ExpandingArray<2>>(options.padding());
  return conv_transpose2d_via_conv(input, weight, bias, *options.stride(), *pad, *options.output_padding(),
                                   options.groups(), *options.dilation(),
                                   path == ConvTransposePath::via_conv ? WeightGrad::convolution : WeightGrad::unfold);
}

}  // namespace ganflow::layers
