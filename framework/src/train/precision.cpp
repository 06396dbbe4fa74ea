#include "ganflow/framework/train/precision.hpp"

#include <torch/torch.h>

namespace ganflow {

void declare_precision_params(NodeSpec& spec) {
  spec.param_enum("precision", {"fp32", "bf16", "fp16"}, "fp32",
                  "Mixed precision: forward and loss under autocast in bf16 or fp16 (fp16 with dynamic loss "
                  "scaling; CUDA only), weights and optimiser state stay fp32.");
  spec.param_bool("channels_last", false, "Models' 4-D weights and the image batches in channels-last layout "
                                          "(NHWC: faster convolutions on tensor cores).");
}

PrecisionSettings read_precision_params(const Params& p) {
  PrecisionSettings s;
  s.precision = p.s("precision");
  s.channels_last = p.b("channels_last");
  return s;
}

std::optional<at::ScalarType> autocast_dtype_for(const PrecisionSettings& s, const torch::Device& device,
                                                 const std::string& node) {
  if (s.precision == "bf16") return at::kBFloat16;
  if (s.precision != "fp16") return std::nullopt;
  if (!device.is_cuda())
    throw Error("fp16 needs a CUDA device (LibTorch's CPU autocast has no fp16); use bf16 or fp32 on " +
                    device.str(),
                node, "precision");
  return at::kHalf;
}

void to_channels_last(torch::nn::Module& m) {
  torch::NoGradGuard ng;
  auto convert = [](torch::Tensor& t) {
    if (t.defined() && t.dim() == 4) t.set_data(t.contiguous(torch::MemoryFormat::ChannelsLast));
  };
  for (auto& p : m.parameters()) convert(p);
  for (auto& b : m.buffers()) convert(b);
}

torch::Tensor in_layout(const torch::Tensor& t, const PrecisionSettings& s) {
  return s.channels_last && t.dim() == 4 ? t.contiguous(torch::MemoryFormat::ChannelsLast) : t;
}

}  // namespace ganflow
