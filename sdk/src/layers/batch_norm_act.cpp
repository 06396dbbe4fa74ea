#include "batch_norm_act.hpp"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>

#include "ganflow/layers/batch_norm.hpp"
#include "ganflow/layers/fast_conv.hpp"
#include "float_vectors.hpp"

namespace ganflow::layers {

namespace {

// A contiguous NCHW float tensor seen per channel: for channel c, n planes of hw values.
struct Planes {
  int64_t n, c, hw;
  const float* plane(const float* base, int64_t ni, int64_t ci) const { return base + (ni * c + ci) * hw; }
  float* plane(float* base, int64_t ni, int64_t ci) const { return base + (ni * c + ci) * hw; }
  int64_t count() const { return n * hw; }
};

using detail::kVec;
using detail::load;
using detail::store;
using detail::Vec;

inline double lane_sum(const Vec& v) {
  double s = 0;
  for (int64_t j = 0; j < kVec; ++j) s += v[j];
  return s;
}

// LeakyReLU (ReLU: slope 0) and, as BatchNorm's output gradient, dy through it (BatchNorm
// first) or dy itself (act first); for floats and Vecs alike.
template <class T> inline T leaky(const T& v, float slope) { return v > 0 ? v : v * slope; }
template <bool ActFirst, class T> inline T norm_grad(const T& dy, const T& x, float ac, float bc, float slope) {
  if constexpr (ActFirst) return dy;
  else return x * ac + bc > 0 ? dy : dy * slope;
}
// BatchNorm's input: act(x) (act first) or x.
template <bool ActFirst, class T> inline T norm_input(const T& x, float slope) {
  if constexpr (ActFirst) return leaky(x, slope);
  else return x;
}

// Each kernel is a body templated on the block order, inlined into per-ISA clones of a plain
// function. They walk a channel's planes 16 values at a time, then the plane's tail; the
// reductions keep 16 float partial sums per channel, added in double at the end.

// Per channel in [c0, c1): the mean and biased variance of BatchNorm's input, summed as
// deviations from the channel's first value, which keeps the one-pass variance exact enough.
template <bool ActFirst>
GANFLOW_BODY void stats_body(const float* x, Planes p, float slope, int64_t c0, int64_t c1, float* mean, float* var) {
  for (int64_t c = c0; c < c1; ++c) {
    const float shift = norm_input<ActFirst>(x[c * p.hw], slope);
    Vec s = {}, ss = {};
    double sum = 0, sum_sq = 0;
    for (int64_t ni = 0; ni < p.n; ++ni) {
      const float* v = p.plane(x, ni, c);
      int64_t i = 0;
      for (; i + kVec <= p.hw; i += kVec) {
        const Vec d = norm_input<ActFirst>(load(v + i), slope) - shift;
        s += d;
        ss += d * d;
      }
      for (; i < p.hw; ++i) {
        const double d = double(norm_input<ActFirst>(v[i], slope)) - shift;
        sum += d;
        sum_sq += d * d;
      }
    }
    sum += lane_sum(s), sum_sq += lane_sum(ss);
    const double m = sum / double(p.count());
    mean[c] = float(shift + m);
    var[c] = float(std::max(sum_sq / double(p.count()) - m * m, 0.0));
  }
}

// y = act(x * a + b), or act(x) * a + b (act first), with a and b per channel.
template <bool ActFirst, class T> inline T forward_value(const T& x, float ac, float bc, float slope) {
  if constexpr (ActFirst) return leaky(x, slope) * ac + bc;
  else return leaky(T(x * ac + bc), slope);
}
template <bool ActFirst>
GANFLOW_BODY void apply_body(const float* x, float* y, Planes p, float slope, const float* a, const float* b,
                             int64_t c0, int64_t c1) {
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t ni = 0; ni < p.n; ++ni) {
      const float* v = p.plane(x, ni, c);
      float* out = p.plane(y, ni, c);
      const float ac = a[c], bc = b[c];
      int64_t i = 0;
      for (; i + kVec <= p.hw; i += kVec) store(out + i, forward_value<ActFirst>(load(v + i), ac, bc, slope));
      for (; i < p.hw; ++i) out[i] = forward_value<ActFirst>(v[i], ac, bc, slope);
    }
}

// Per channel: s1 = sum of g, s2 = sum of g * (v - mean), with g = norm_grad and v BatchNorm's input.
template <bool ActFirst>
GANFLOW_BODY void grad_sums_body(const float* x, const float* dy, Planes p, float slope, const float* a,
                                 const float* b, const float* mean, int64_t c0, int64_t c1, float* s1, float* s2) {
  for (int64_t c = c0; c < c1; ++c) {
    Vec l1 = {}, l2 = {};
    double t1 = 0, t2 = 0;
    const float ac = a[c], bc = b[c], m = mean[c];
    for (int64_t ni = 0; ni < p.n; ++ni) {
      const float* v = p.plane(x, ni, c);
      const float* d = p.plane(dy, ni, c);
      int64_t i = 0;
      for (; i + kVec <= p.hw; i += kVec) {
        const Vec xv = load(v + i), g = norm_grad<ActFirst>(load(d + i), xv, ac, bc, slope);
        l1 += g;
        l2 += g * (norm_input<ActFirst>(xv, slope) - m);
      }
      for (; i < p.hw; ++i) {
        const float g = norm_grad<ActFirst>(d[i], v[i], ac, bc, slope);
        t1 += g;
        t2 += double(g) * (norm_input<ActFirst>(v[i], slope) - m);
      }
    }
    s1[c] = float(t1 + lane_sum(l1));
    s2[c] = float(t2 + lane_sum(l2));
  }
}

// dx from BatchNorm's input gradient a g + k2 v + k0 (v: BatchNorm's input; when the activation
// comes first, then through its slope).
template <bool ActFirst, class T>
inline T input_grad_value(const T& x, const T& dy, float ac, float bc, float k2c, float k0c, float slope) {
  if constexpr (ActFirst) {
    const T da = dy * ac + leaky(x, slope) * k2c + k0c;
    return x > 0 ? da : da * slope;
  } else {
    return norm_grad<false>(dy, x, ac, bc, slope) * ac + x * k2c + k0c;
  }
}
template <bool ActFirst>
GANFLOW_BODY void input_grad_body(const float* x, const float* dy, float* dx, Planes p, float slope, const float* a,
                                  const float* b, const float* k2, const float* k0, int64_t c0, int64_t c1) {
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t ni = 0; ni < p.n; ++ni) {
      const float* v = p.plane(x, ni, c);
      const float* d = p.plane(dy, ni, c);
      float* out = p.plane(dx, ni, c);
      const float ac = a[c], bc = b[c], k2c = k2[c], k0c = k0[c];
      int64_t i = 0;
      for (; i + kVec <= p.hw; i += kVec)
        store(out + i, input_grad_value<ActFirst>(load(v + i), load(d + i), ac, bc, k2c, k0c, slope));
      for (; i < p.hw; ++i) out[i] = input_grad_value<ActFirst>(v[i], d[i], ac, bc, k2c, k0c, slope);
    }
}

GANFLOW_CLONES void stats_kernel(const float* x, Planes p, float slope, bool act_first, int64_t c0, int64_t c1,
                                 float* mean, float* var) {
  if (act_first) stats_body<true>(x, p, slope, c0, c1, mean, var);
  else stats_body<false>(x, p, slope, c0, c1, mean, var);
}

GANFLOW_CLONES void apply_kernel(const float* x, float* y, Planes p, float slope, bool act_first, const float* a,
                                 const float* b, int64_t c0, int64_t c1) {
  if (act_first) apply_body<true>(x, y, p, slope, a, b, c0, c1);
  else apply_body<false>(x, y, p, slope, a, b, c0, c1);
}

GANFLOW_CLONES void grad_sums_kernel(const float* x, const float* dy, Planes p, float slope, bool act_first,
                                     const float* a, const float* b, const float* mean, int64_t c0, int64_t c1,
                                     float* s1, float* s2) {
  if (act_first) grad_sums_body<true>(x, dy, p, slope, a, b, mean, c0, c1, s1, s2);
  else grad_sums_body<false>(x, dy, p, slope, a, b, mean, c0, c1, s1, s2);
}

GANFLOW_CLONES void input_grad_kernel(const float* x, const float* dy, float* dx, Planes p, float slope,
                                      bool act_first, const float* a, const float* b, const float* k2,
                                      const float* k0, int64_t c0, int64_t c1) {
  if (act_first) input_grad_body<true>(x, dy, dx, p, slope, a, b, k2, k0, c0, c1);
  else input_grad_body<false>(x, dy, dx, p, slope, a, b, k2, k0, c0, c1);
}

Planes planes_of(const torch::Tensor& x) { return {x.size(0), x.size(1), x.size(2) * x.size(3)}; }

// Channels per task: about 16K values each, so that small layers do not pay for a fork.
int64_t grain(const Planes& p) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, p.count())); }

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class BatchNormAct : public torch::autograd::Function<BatchNormAct> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, torch::Tensor running_mean, torch::Tensor running_var,
                               double momentum, double eps, double slope, bool act_first) {
    const Planes p = planes_of(x);
    torch::Tensor mean = torch::empty({p.c}, x.options()), invstd = torch::empty({p.c}, x.options());
    torch::Tensor ab = torch::empty({2, p.c}, x.options()), y = torch::empty_like(x);
    float *m = mean.data_ptr<float>(), *r = invstd.data_ptr<float>(), *a = ab.data_ptr<float>(), *b = a + p.c;
    const float *w = weight.data_ptr<float>(), *bi = bias.data_ptr<float>();
    float *rm = running_mean.data_ptr<float>(), *rv = running_var.data_ptr<float>();
    const double unbias = double(p.count()) / double(p.count() - 1);
    at::parallel_for(0, p.c, grain(p), [&](int64_t c0, int64_t c1) {
      stats_kernel(x.data_ptr<float>(), p, float(slope), act_first, c0, c1, m, r);  // r holds the variance
      for (int64_t c = c0; c < c1; ++c) {
        rm[c] = float((1 - momentum) * rm[c] + momentum * m[c]);
        rv[c] = float((1 - momentum) * rv[c] + momentum * unbias * r[c]);
        r[c] = float(1.0 / std::sqrt(double(r[c]) + eps));
        a[c] = r[c] * w[c];
        b[c] = bi[c] - m[c] * a[c];
      }
      apply_kernel(x.data_ptr<float>(), y.data_ptr<float>(), p, float(slope), act_first, a, b, c0, c1);
    });
    ctx->save_for_backward({x, weight, bias, mean, invstd, ab});
    ctx->saved_data["slope"] = slope;
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["act_first"] = act_first;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const double slope = ctx->saved_data["slope"].toDouble();
    const bool act_first = ctx->saved_data["act_first"].toBool();
    if (torch::GradMode::is_enabled())
      return differentiable_backward(ctx, saved, grads[0], slope, ctx->saved_data["eps"].toDouble(), act_first);
    const torch::Tensor &x = saved[0], &mean = saved[3], &invstd = saved[4], &ab = saved[5];
    const torch::Tensor dy = grads[0].contiguous();
    const Planes p = planes_of(x);
    torch::Tensor dw = torch::empty({p.c}, x.options()), db = torch::empty({p.c}, x.options());
    torch::Tensor k = torch::empty({2, p.c}, x.options()), dx = torch::empty_like(x);
    const float *m = mean.data_ptr<float>(), *r = invstd.data_ptr<float>(), *a = ab.data_ptr<float>(), *b = a + p.c;
    float *s1 = db.data_ptr<float>(), *s2 = dw.data_ptr<float>(), *k2 = k.data_ptr<float>(), *k0 = k2 + p.c;
    const double count = double(p.count());
    at::parallel_for(0, p.c, grain(p), [&](int64_t c0, int64_t c1) {
      grad_sums_kernel(x.data_ptr<float>(), dy.data_ptr<float>(), p, float(slope), act_first, a, b, m, c0, c1, s1, s2);
      // BatchNorm's input gradient a (g - s1 / M - (v - mean) invstd^2 s2 / M) as a g + k2 v + k0.
      for (int64_t c = c0; c < c1; ++c) {
        k2[c] = float(-double(a[c]) * r[c] * r[c] * s2[c] / count);
        k0[c] = float(-double(a[c]) * s1[c] / count - double(k2[c]) * m[c]);
        s2[c] *= r[c];  // the weight's gradient: sum of g * vhat
      }
      input_grad_kernel(x.data_ptr<float>(), dy.data_ptr<float>(), dx.data_ptr<float>(), p, float(slope), act_first,
                        a, b, k2, k0, c0, c1);
    });
    return {dx, dw, db, {}, {}, {}, {}, {}, {}};
  }

 private:
  // Under create_graph (gradient penalties): the two layers again as torch ops from the saved
  // input, differentiated with a graph, so that the gradient is itself differentiable.
  static variable_list differentiable_backward(AutogradContext* ctx, const variable_list& saved, const torch::Tensor& dy,
                                               double slope, double eps, bool act_first) {
    const torch::Tensor &x = saved[0], &weight = saved[1], &bias = saved[2];
    torch::Tensor v = act_first ? torch::leaky_relu(x, slope) : x;
    torch::Tensor y = torch::batch_norm(v, weight, bias, {}, {}, true, 0.0, eps, false);
    if (!act_first) y = torch::leaky_relu(y, slope);
    std::vector<torch::Tensor> wrt;
    std::vector<size_t> index;
    for (size_t i = 0; i < 3; ++i)
      if (ctx->needs_input_grad(i)) wrt.push_back(saved[i]), index.push_back(i);
    variable_list out(9);
    if (wrt.empty()) return out;
    const variable_list g = torch::autograd::grad({y}, wrt, {dy}, /*retain_graph=*/true, /*create_graph=*/true);
    for (size_t k = 0; k < index.size(); ++k) out[index[k]] = g[k];
    return out;
  }
};

}  // namespace

std::optional<torch::Tensor> batch_norm_act(torch::nn::Module& first, torch::nn::Module& second, const torch::Tensor& x) {
  if (!fast_conv_enabled() || !x.device().is_cpu() || x.scalar_type() != torch::kFloat || x.dim() != 4 ||
      !x.is_contiguous() || x.size(0) * x.size(2) * x.size(3) < 2)
    return std::nullopt;
  auto* bn = dynamic_cast<SyncableBatchNorm2dImpl*>(&first);
  torch::nn::Module* act = &second;
  const bool act_first = bn == nullptr;
  if (act_first) bn = dynamic_cast<SyncableBatchNorm2dImpl*>(&second), act = &first;
  if (!bn || !bn->is_training() || !bn->affine || batch_norm_syncs_ranks() || x.size(1) != bn->num_features)
    return std::nullopt;
  for (const torch::Tensor* t : {&bn->weight, &bn->bias, &bn->running_mean, &bn->running_var})
    if (t->scalar_type() != torch::kFloat || !t->is_contiguous() || !t->device().is_cpu()) return std::nullopt;
  double slope;
  if (dynamic_cast<torch::nn::ReLUImpl*>(act)) slope = 0.0;
  else if (auto* leaky = dynamic_cast<torch::nn::LeakyReLUImpl*>(act)) slope = leaky->options.negative_slope();
  else return std::nullopt;
  bn->num_batches_tracked += 1;
  return BatchNormAct::apply(x, bn->weight, bn->bias, bn->running_mean, bn->running_var, bn->momentum, bn->eps, slope,
                             act_first);
}

}  // namespace ganflow::layers
