#include "ganflow/framework/session/sampling.hpp"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "ganflow/error.hpp"

namespace ganflow {

torch::Tensor truncate_noise(torch::Tensor z, double psi, const std::function<torch::Tensor()>& draw,
                             int64_t max_draws) {
  for (int64_t i = 0; i < max_draws; ++i) {
    torch::Tensor outside = z.abs() > psi;
    if (!outside.any().item<bool>()) return z;
    z = torch::where(outside, draw(), z);
  }
  throw Error("--truncation " + std::to_string(psi) + ": the noise source drew no value within it in " +
              std::to_string(max_draws) + " tries; use a larger psi");
}

torch::Tensor slerp(const torch::Tensor& a, const torch::Tensor& b, double t) {
  torch::Tensor fa = a.flatten().to(torch::kFloat64), fb = b.flatten().to(torch::kFloat64);
  const double cos_omega = std::clamp((fa.dot(fb) / (fa.norm() * fb.norm())).item<double>(), -1.0, 1.0);
  const double omega = std::acos(cos_omega);
  if (std::sin(omega) < 1e-6) return (a * (1 - t) + b * t).to(a.scalar_type());
  torch::Tensor out = (fa * std::sin((1 - t) * omega) + fb * std::sin(t * omega)) / std::sin(omega);
  return out.view(a.sizes()).to(a.scalar_type());
}

torch::Tensor interpolation_path(const std::vector<torch::Tensor>& keys, int64_t steps) {
  std::vector<torch::Tensor> rows{keys.front()};
  for (std::size_t k = 0; k + 1 < keys.size(); ++k)
    for (int64_t i = 1; i < steps; ++i)  // the keys themselves at the ends, not slerp's rounding of them
      rows.push_back(i == steps - 1 ? keys[k + 1] : slerp(keys[k], keys[k + 1], double(i) / double(steps - 1)));
  return torch::cat(rows);
}

std::pair<torch::Tensor, torch::Tensor> class_rows(const torch::Tensor& columns, const torch::Tensor& classes) {
  std::vector<int64_t> reps(std::size_t(columns.dim()), 1);
  reps[0] = classes.size(0);
  return {columns.repeat(reps), classes.to(columns.device()).repeat_interleave(columns.size(0))};
}

}  // namespace ganflow
