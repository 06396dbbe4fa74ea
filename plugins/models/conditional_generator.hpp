#pragma once
// basic_generator's network conditioned on a class, two ways:
// - cbn: every block's BatchNorm is a ConditionalBatchNorm2d whose gain and bias are linear in
//   a class embedding the blocks share (BigGAN's conditional generator); the blocks'
//   convolutions and init are conv_layer's, in the layout basic_generator computes;
// - concat: a learned class embedding (n_classes wide) joins the noise (Mirza & Osindero's
//   cGAN), and basic_generator's own network takes the longer vector.
#include <ganflow/layers/conditional_batch_norm.hpp>
#include <ganflow/layers/conv_layer.hpp>
#include <ganflow/torchscript.hpp>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/embedding.h>

#include <vector>

#include "labelled_net.hpp"

namespace ganflow_models {

// One block: conv -> cBN -> act (v2 order) or conv -> act -> cBN (v1).
class CbnBlockImpl : public torch::nn::Module, public ganflow::Scriptable {
 public:
  CbnBlockImpl(const ganflow::layers::ConvLayerOptions& o, int64_t class_dim);
  // cond: the class embedding of each image [bs, class_dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond);
  std::string torchscript() const override;

 private:
  ganflow::layers::BlockOrder order_;
  torch::nn::AnyModule conv_, act_;
  ganflow::layers::ConditionalBatchNorm2d cbn_{nullptr};
};
TORCH_MODULE(CbnBlock);

// z [bs, noise_sz, 1, 1], labels int64 [bs] -> images in [-1, 1].
class CbnGenerator : public LabelledNet, public ganflow::Scriptable {
 public:
  // blocks: the inner blocks (with BatchNorm) in order; out_ftrs -> n_channels at the output;
  // class_dim: the width of the shared class embedding.
  CbnGenerator(const std::vector<ganflow::layers::ConvLayerOptions>& blocks, int64_t out_ftrs, int64_t n_channels,
               int64_t n_classes, int64_t class_dim);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;
  std::string torchscript() const override;

 private:
  torch::nn::Embedding embed_{nullptr};
  torch::nn::ModuleList blocks_;
  torch::nn::AnyModule out_;
};

class ConcatGenerator : public LabelledNet, public ganflow::Scriptable {
 public:
  // net: basic_generator's network for noise_sz + n_classes inputs.
  ConcatGenerator(torch::nn::Sequential net, int64_t n_classes);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;
  std::string torchscript() const override;

 private:
  torch::nn::Embedding embed_{nullptr};
  torch::nn::Sequential net_;
};

}  // namespace ganflow_models
