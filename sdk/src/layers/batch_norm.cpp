#include "ganflow/layers/batch_norm.hpp"

#include <torch/torch.h>

namespace ganflow::layers {

namespace {
RankSum& installed_sum() {
  static RankSum sum;
  return sum;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Per-channel shape [1, C, 1, 1].
torch::Tensor channel(const torch::Tensor& v) { return v.view({1, -1, 1, 1}); }

// Batch statistics over every rank's batch. Forward all-reduces (sum, sum of squares, count)
// per channel; backward all-reduces (sum dy, sum dy * xhat), so the input gradient is the one of
// a single batch holding every rank's images. The parameters' gradients stay this rank's share:
// the loop averages them over ranks with the others.
class SyncBatchNorm : public torch::autograd::Function<SyncBatchNorm> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, torch::Tensor running_mean, torch::Tensor running_var,
                               double momentum, double eps) {
    const int64_t c = x.size(1);
    const torch::Tensor xf = x.to(torch::kFloat);
    torch::Tensor stats = torch::cat({xf.sum({0, 2, 3}), xf.square().sum({0, 2, 3}),
                                      torch::full({1}, double(x.numel() / c), xf.options())});
    installed_sum()(stats);
    const torch::Tensor n = stats.narrow(0, 2 * c, 1);
    const torch::Tensor mean = stats.narrow(0, 0, c) / n;
    const torch::Tensor var = (stats.narrow(0, c, c) / n - mean.square()).clamp_min(0);
    const torch::Tensor invstd = (var + eps).rsqrt();
    running_mean.mul_(1 - momentum).add_(mean.to(running_mean.scalar_type()) * momentum);
    running_var.mul_(1 - momentum).add_((var * n / (n - 1).clamp_min(1)).to(running_var.scalar_type()) * momentum);
    const torch::Tensor xhat = (xf - channel(mean)) * channel(invstd);
    ctx->save_for_backward({xhat, weight, invstd, n});
    return (xhat * channel(weight) + channel(bias)).to(x.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &xhat = saved[0], &weight = saved[1], &invstd = saved[2], &n = saved[3];
    const torch::Tensor dy = grads[0].to(torch::kFloat);
    const int64_t c = xhat.size(1);
    const torch::Tensor sum_dy = dy.sum({0, 2, 3}), sum_dy_xhat = (dy * xhat).sum({0, 2, 3});
    torch::Tensor all = torch::cat({sum_dy, sum_dy_xhat});
    installed_sum()(all);
    const torch::Tensor dx = channel(weight * invstd) * (dy - channel(all.narrow(0, 0, c) / n) -
                                                         xhat * channel(all.narrow(0, c, c) / n));
    return {dx.to(grads[0].scalar_type()), sum_dy_xhat, sum_dy, {}, {}, {}, {}};
  }
};
}  // namespace

void set_batch_norm_rank_sum(RankSum sum) { installed_sum() = std::move(sum); }
bool batch_norm_syncs_ranks() { return bool(installed_sum()); }

SyncableBatchNorm2dImpl::SyncableBatchNorm2dImpl(int64_t n, bool a) : num_features(n), affine(a) { reset(); }

void SyncableBatchNorm2dImpl::reset() {
  if (affine) {
    weight = register_parameter("weight", torch::ones({num_features}));
    bias = register_parameter("bias", torch::zeros({num_features}));
  }
  running_mean = register_buffer("running_mean", torch::zeros({num_features}));
  running_var = register_buffer("running_var", torch::ones({num_features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

void SyncableBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "ganflow::layers::SyncableBatchNorm2d(" << num_features << ", eps=" << eps << ", momentum=" << momentum
         << (affine ? "" : ", affine=false") << ")";
}

torch::Tensor SyncableBatchNorm2dImpl::forward(const torch::Tensor& x) {
  if (is_training()) num_batches_tracked += 1;
  if (!installed_sum() || !is_training())
    return torch::nn::functional::detail::batch_norm(x, running_mean, running_var, weight, bias, is_training(), momentum,
                                                     eps);  // what torch::nn::BatchNorm2d runs
  if (!affine)  // the synced backward's formulas take a weight; ones and zeros change nothing
    return SyncBatchNorm::apply(x, torch::ones({num_features}, x.options().dtype(torch::kFloat)),
                                torch::zeros({num_features}, x.options().dtype(torch::kFloat)), running_mean,
                                running_var, momentum, eps);
  return SyncBatchNorm::apply(x, weight, bias, running_mean, running_var, momentum, eps);
}

}  // namespace ganflow::layers
