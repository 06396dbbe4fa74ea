#pragma once
// fastai's conv_layer (v1) / ConvLayer (v2): one convolution with optional norm and activation,
// returned as a (nestable) Sequential so that state-dict keys match fastai's ("0.weight", "1.running_mean").
#include "ganflow/export.hpp"
#include "ganflow/layers/sequential_block.hpp"

#include <cstdint>
#include <optional>

namespace ganflow::layers {

// The block order also selects the init, so each order reproduces one fastai version:
//   V1: Conv -> act -> BN. Weight kaiming_normal_ (fan_in, a=0), bias 0, BN w=1 b=0.
//   V2: Conv -> BN -> act. Weight kaiming_uniform_ (a=0) when there is an activation, PyTorch's
//       default init when there is none; bias N(0, 0.01); BN w=1 b=1e-3.
enum class BlockOrder { V1, V2 };
enum class Norm { None, Batch };
enum class Act { None, ReLU, LeakyReLU };

struct ConvLayerOptions {
  ConvLayerOptions(int64_t ni_, int64_t nf_) : ni(ni_), nf(nf_) {}
  int64_t ni, nf;
  int64_t ks = 3;
  int64_t stride = 1;
  std::optional<int64_t> padding;  // default (ks-1)/2, 0 when transpose
  std::optional<bool> bias;        // default: no bias when there is a BatchNorm
  Norm norm = Norm::Batch;
  Act act = Act::ReLU;
  double leaky_slope = 0.01;       // LeakyReLU only
  bool transpose = false;
  BlockOrder order = BlockOrder::V2;

  ConvLayerOptions& kernel(int64_t v) { ks = v; return *this; }
  ConvLayerOptions& with_stride(int64_t v) { stride = v; return *this; }
  ConvLayerOptions& with_padding(int64_t v) { padding = v; return *this; }
  ConvLayerOptions& with_bias(bool v) { bias = v; return *this; }
  ConvLayerOptions& with_norm(Norm v) { norm = v; return *this; }
  ConvLayerOptions& with_act(Act v, double slope = 0.01) { act = v; leaky_slope = slope; return *this; }
  ConvLayerOptions& transposed(bool v = true) { transpose = v; return *this; }
  ConvLayerOptions& with_order(BlockOrder v) { order = v; return *this; }
};

GANFLOW_API SequentialBlock conv_layer(const ConvLayerOptions& o);

// fastai's init_default: kaiming_normal_ (fan_in, a=0) on the weight, bias zeroed.
GANFLOW_API void init_kaiming_normal_zero_bias(torch::nn::Module& conv);

}  // namespace ganflow::layers
