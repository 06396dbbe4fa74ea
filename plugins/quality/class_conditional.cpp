#include "class_conditional.hpp"

#include <torch/torch.h>

#include "fd.hpp"

namespace ganflow_quality {

std::optional<double> class_agreement(const torch::Tensor& logits, const torch::Tensor& labels, int64_t n_classes) {
  if (!logits.defined() || logits.size(1) != n_classes) return std::nullopt;
  return (logits.argmax(1).cpu() == labels.cpu()).to(torch::kDouble).mean().item<double>();
}

std::optional<double> intra_class_fd(const torch::Tensor& fake, const torch::Tensor& fake_labels,
                                     const torch::Tensor& real, const torch::Tensor& real_labels) {
  const torch::Tensor fy = fake_labels.cpu(), ry = real_labels.cpu();
  const torch::Tensor classes = std::get<0>(at::_unique(torch::cat({fy, ry})));
  const int64_t d = fake.size(1);
  double sum = 0;
  for (int64_t i = 0; i < classes.size(0); ++i) {
    const torch::Tensor in_fake = fy == classes[i], in_real = ry == classes[i];
    if (in_fake.sum().item<int64_t>() <= d || in_real.sum().item<int64_t>() <= d) return std::nullopt;
    sum += frechet_distance(fake.index({in_fake}), real.index({in_real}));
  }
  return classes.size(0) ? std::optional<double>(sum / double(classes.size(0))) : std::nullopt;
}

}  // namespace ganflow_quality
