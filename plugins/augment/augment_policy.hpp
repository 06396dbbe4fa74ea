#pragma once
// DiffAugment's transforms (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient
// GAN Training"), as its published PyTorch code computes them, on batches [B, C, H, W] in
// [-1, 1]: batched tensor ops, differentiable in x, random draws from torch's generator for
// x's device in the order of that code (tests/python/check_augment.py replays them).
#include <ganflow/ganflow.hpp>

#include <torch/types.h>

#include <string>
#include <vector>

namespace ganflow_augment {

// color: brightness + U(-0.5, 0.5); saturation x U(0, 2) around the channel mean; contrast
// x U(0.5, 1.5) around the image mean (one draw per image each).
torch::Tensor rand_brightness(const torch::Tensor& x);
torch::Tensor rand_saturation(const torch::Tensor& x);
torch::Tensor rand_contrast(const torch::Tensor& x);
// translation: shift by up to ratio x the side (rounded) in each axis, zero fill.
torch::Tensor rand_translation(const torch::Tensor& x, double ratio = 0.125);
// cutout: zero one square of ratio x the side (rounded) at a random centre.
torch::Tensor rand_cutout(const torch::Tensor& x, double ratio = 0.5);

// Applies the policies' transforms in order (color is three). With p < 1 each transform is
// applied to each image with probability p (ADA's use); p = 1 draws nothing more than
// DiffAugment does.
torch::Tensor apply_policy(const torch::Tensor& x, const std::vector<std::string>& policies, double p);

// Declares the `policy` param (a list of color | translation | cutout) on a node's spec.
template <class S>
ganflow::ParamSpec& add_policy_field(ganflow::Fields<S>& f, std::vector<std::string> S::*field) {
  ganflow::ParamSpec& spec = f.add_list("policy", field, {"color", "translation", "cutout"},
                                        "DiffAugment policies, applied in this order: color (brightness, "
                                        "saturation, contrast), translation (1/8 of the side), cutout (half the side).");
  spec.element->type = ganflow::ParamType::Enum;
  spec.element->choices = {"color", "translation", "cutout"};
  spec.at_least(1);
  return spec;
}

}  // namespace ganflow_augment
