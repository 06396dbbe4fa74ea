#pragma once
// Pieces FastConvTranspose2d and FastConv2d share (internal to the SDK).
#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/version.h>

#include <algorithm>

namespace ganflow::layers::detail {

// The layout the caller's tensor suggests (channels-last stays channels-last: oneDNN runs it natively).
inline at::Tensor dense(const at::Tensor& t) { return t.contiguous(t.suggest_memory_format()); }

// CPU autocast's lower-precision dtype, if autocast is on (LibTorch 2.4 changed the API).
inline c10::optional<at::ScalarType> cpu_autocast_dtype() {
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
  explicit AutocastCast(const at::Tensor& x) : dtype(x.is_cpu() ? cpu_autocast_dtype() : c10::nullopt) {}
  at::Tensor operator()(const at::Tensor& t) const {
    return dtype && t.defined() ? at::autocast::cached_cast(*dtype, t, c10::DeviceType::CPU) : t;
  }
};

inline bool all_equal(at::IntArrayRef a, int64_t v) {
  return std::all_of(a.begin(), a.end(), [v](int64_t e) { return e == v; });
}

// What a custom convolution function's backward starts from: its saved input and weight,
// the incoming gradient in the weight's dtype and dense layout, stride and padding.
struct ConvBackwardInputs {
  at::Tensor x, w, gy;
  std::vector<int64_t> stride, padding;
  ConvBackwardInputs(torch::autograd::AutogradContext* ctx, const torch::autograd::variable_list& grad_out) {
    auto saved = ctx->get_saved_variables();
    x = saved[0], w = saved[1];
    gy = dense(grad_out[0]).to(w.scalar_type());
    stride = ctx->saved_data["stride"].toIntVector();
    padding = ctx->saved_data["padding"].toIntVector();
  }
};

// A weight gradient as one matrix product: sum over n and positions l of
// a[n, r, l] * unfold(b)[n, (c, i, j), l] -> [r, c * kh * kw], where unfold(b)'s sliding
// positions are a's spatial positions (the caller's shapes guarantee it). oneDNN's weight
// gradient is slow when c (b's channels) is 1-2: a grey image's channel.
inline at::Tensor unfold_product(const at::Tensor& a, const at::Tensor& b, at::IntArrayRef kernel,
                                 at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation) {
  int64_t n = a.size(0), r = a.size(1);
  at::Tensor cols = at::im2col(b, kernel, dilation, padding, stride);  // [n, c*kh*kw, L]
  at::Tensor as = a.reshape({n, r, -1}).transpose(0, 1).reshape({r, -1});
  at::Tensor bs = cols.transpose(0, 1).reshape({cols.size(1), -1});
  return as.mm(bs.t());
}

}  // namespace ganflow::layers::detail
