#include "ganflow/layers/conv_layer.hpp"

#include <torch/torch.h>

#include "ganflow/layers/batch_norm.hpp"
#include "ganflow/layers/conv2d.hpp"
#include "ganflow/layers/conv_transpose.hpp"

namespace ganflow::layers {

namespace {
torch::nn::AnyModule make_conv(const ConvLayerOptions& o, int64_t padding, bool bias) {
  if (o.transpose)
    return torch::nn::AnyModule(FastConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(o.ni, o.nf, o.ks).stride(o.stride).padding(padding).bias(bias)));
  return torch::nn::AnyModule(
      FastConv2d(torch::nn::Conv2dOptions(o.ni, o.nf, o.ks).stride(o.stride).padding(padding).bias(bias)));
}

// v2's init_linear: bias ~ N(0, bias_std); weight kaiming_uniform_ only for ReLU-family acts.
void init_v2(torch::nn::Module& conv, Act act) {
  torch::NoGradGuard no_grad;
  auto params = conv.named_parameters(false);
  if (auto* b = params.find("bias")) b->normal_(0.0, 0.01);
  if (act != Act::None) torch::nn::init::kaiming_uniform_(params["weight"], 0.0);
}

torch::nn::AnyModule make_act(const ConvLayerOptions& o) {
  if (o.act == Act::ReLU) return torch::nn::AnyModule(torch::nn::ReLU());
  return torch::nn::AnyModule(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(o.leaky_slope)));
}

torch::nn::AnyModule make_bn(const ConvLayerOptions& o) {
  SyncableBatchNorm2d bn(o.nf);
  if (o.order == BlockOrder::V2) {
    torch::NoGradGuard no_grad;
    bn->bias.fill_(1e-3);  // fastai v2 BatchNorm(): bias 1e-3, weight 1
  }
  return torch::nn::AnyModule(bn);
}
}  // namespace

void init_kaiming_normal_zero_bias(torch::nn::Module& conv) {
  torch::NoGradGuard no_grad;
  auto params = conv.named_parameters(false);
  torch::nn::init::kaiming_normal_(params["weight"], 0.0);
  if (auto* b = params.find("bias")) b->zero_();
}

SequentialBlock conv_layer(const ConvLayerOptions& o) {
  const bool bn = o.norm == Norm::Batch;
  const int64_t padding = o.padding.value_or(o.transpose ? 0 : (o.ks - 1) / 2);
  const bool bias = o.bias.value_or(!bn);
  torch::nn::AnyModule conv = make_conv(o, padding, bias);
  if (o.order == BlockOrder::V1) init_kaiming_normal_zero_bias(*conv.ptr());
  else init_v2(*conv.ptr(), o.act);

  SequentialBlock seq;
  seq->push_back(conv);
  if (o.order == BlockOrder::V1) {
    if (o.act != Act::None) seq->push_back(make_act(o));
    if (bn) seq->push_back(make_bn(o));
  } else {
    if (bn) seq->push_back(make_bn(o));
    if (o.act != Act::None) seq->push_back(make_act(o));
  }
  return seq;
}

}  // namespace ganflow::layers
