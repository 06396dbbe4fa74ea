#pragma once
// The quality of a class-conditional generator beyond the unconditional metrics: whether it
// draws the classes it is asked for (class agreement: the extractor's top-1 accuracy on
// generated images against the requested labels), and how each class's images match that
// class's real images (intra-class FD: the mean over classes of the per-class FD).
#include <torch/types.h>

#include <optional>

namespace ganflow_quality {

// logits [n, C], labels int64 [n] -> share of rows whose argmax is the label; nullopt unless the
// logits are over the generator's n_classes (an ImageNet head's argmax says nothing of labels
// 0..9; the classes must be in the dataset's label order).
std::optional<double> class_agreement(const torch::Tensor& logits, const torch::Tensor& labels, int64_t n_classes);

// features [n, d] float64 with labels int64 [n], for the generated and the real set. nullopt
// when a class present in either set has no more than d images in one of them (its covariance
// would be singular): small monitors skip it; evaluate at N = 10000 has ~1000 per class.
std::optional<double> intra_class_fd(const torch::Tensor& fake, const torch::Tensor& fake_labels,
                                     const torch::Tensor& real, const torch::Tensor& real_labels);

}  // namespace ganflow_quality
