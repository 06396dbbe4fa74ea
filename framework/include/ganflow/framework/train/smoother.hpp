#pragma once
// fastai's SmoothenValue: debiased EMA, mov = beta*mov + (1-beta)*x; smooth = mov/(1-beta^n).
// Kept as a device tensor so the training loop never syncs with the host to smooth.
#include <torch/types.h>

#include <cmath>

namespace ganflow {

class Smoother {
 public:
  explicit Smoother(double beta = 0.98) : beta_(beta) {}
  void add(const torch::Tensor& x) {
    auto v = x.detach().to(torch::kFloat64);
    mov_ = mov_.defined() ? mov_ * beta_ + v * (1 - beta_) : v * (1 - beta_);
    ++n_;
  }
  bool empty() const { return n_ == 0; }
  int64_t count() const { return n_; }
  double value() const { return n_ ? mov_.item<double>() / (1 - std::pow(beta_, double(n_))) : NAN; }
  void reset() { mov_ = torch::Tensor(), n_ = 0; }
  // Checkpoint state.
  torch::Tensor mov() const { return mov_; }
  void restore(torch::Tensor mov, int64_t n) { mov_ = std::move(mov), n_ = n; }

 private:
  double beta_;
  torch::Tensor mov_;
  int64_t n_ = 0;
};

}  // namespace ganflow
