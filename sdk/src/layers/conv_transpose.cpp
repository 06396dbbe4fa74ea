#include "ganflow/layers/conv_transpose.hpp"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/autograd.h>
#include <torch/nn/functional/conv.h>
#include <torch/version.h>

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

class ConvTransposeViaConv : public torch::autograd::Function<ConvTransposeViaConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               std::vector<int64_t> stride, std::vector<int64_t> padding,
                               std::vector<int64_t> output_padding, int64_t groups, std::vector<int64_t> dilation) {
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
    if (ctx->needs_input_grad(1))
      gw = std::get<1>(at::convolution_backward(dense(x), gy, w, c10::nullopt, stride, padding, dilation, false,
                                                {0, 0}, groups, {false, true, false}));
    return {gx, gw, {}, {}, {}, {}, {}};
  }
};
}  // namespace

bool fast_conv_transpose_enabled() { return fast_flag().load(); }
void set_fast_conv_transpose(bool on) { fast_flag().store(on); }

torch::Tensor conv_transpose2d_via_conv(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                        torch::IntArrayRef stride, torch::IntArrayRef padding,
                                        torch::IntArrayRef output_padding, int64_t groups, torch::IntArrayRef dilation) {
  // Autocast does not see a custom autograd function: cast as it casts the stock op (input,
  // weight and bias to the lower precision, the weight cast cached). The casts are autograd
  // ops, so the gradients reach the parameters in their own dtype.
  auto dtype = x.is_cpu() ? cpu_autocast_dtype() : c10::nullopt;
  auto cast = [&](const torch::Tensor& t) {
    return dtype && t.defined() ? at::autocast::cached_cast(*dtype, t, c10::DeviceType::CPU) : t;
  };
  torch::Tensor y = ConvTransposeViaConv::apply(cast(x), cast(weight), vec(stride), vec(padding), vec(output_padding),
                                                groups, vec(dilation));
  // The bias stays outside the function: autograd sums its gradient over N, H, W.
  return bias.defined() ? y + cast(bias).view({1, -1, 1, 1}) : y;
}

torch::Tensor FastConvTranspose2dImpl::forward(const torch::Tensor& input) {
  // Measured (bench/conv_transpose_layers, bench/BENCHMARKS.md): with 1 or 2 output channels
  // per group oneDNN's path is about 2x slower than the stock op (the final layer of a grey
  // generator); at 3 it is a toss-up (0.8-1.15x), from 4 up 1.05-3.5x faster.
  bool fast = input.device().is_cpu() && input.dim() == 4 && fast_conv_transpose_enabled() &&
              options.out_channels() / options.groups() > 2 && at::globalContext().userEnabledMkldnn() &&
              at::hasMKLDNN() && c10::get_if<torch::enumtype::kZeros>(&options.padding_mode());
  if (!fast) return torch::nn::ConvTranspose2dImpl::forward(input);
  auto pad = c10::get<torch::ExpandingArray<2>>(options.padding());
  return conv_transpose2d_via_conv(input, weight, bias, *options.stride(), *pad, *options.output_padding(),
                                   options.groups(), *options.dilation());
}

}  // namespace ganflow::layers
