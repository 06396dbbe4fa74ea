#include "ganflow/framework/train/precision.hpp"

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/torch.h>

namespace ganflow {

Fields<PrecisionSettings> precision_fields(NodeSpec& spec) {
  Fields<PrecisionSettings> f(spec);
  const PrecisionSettings d;
  f.add_enum("precision", &PrecisionSettings::precision, {"fp32", "bf16", "fp16", "auto"}, d.precision,
             "Mixed precision: forward and loss under autocast in bf16 or fp16 (fp16 with dynamic loss "
             "scaling; CUDA only), weights and optimiser state stay fp32. auto: bf16 where the hardware "
             "has native bf16 (a CPU with AMX or AVX512-BF16, a CUDA GPU with bf16 cuDNN), else fp32; "
             "the stage logs which and why.");
  f.add_enum("channels_last", &PrecisionSettings::channels_last, {"auto", "true", "false"}, d.channels_last,
             "Models' 4-D weights and the image batches in channels-last layout (NHWC). auto: on for fp32 on "
             "a CPU with AVX-512 (oneDNN then skips its layout reorders), off elsewhere; the stage logs "
             "which and why.");
  return f;
}

PrecisionChoice choose_precision(const torch::Device& device, const CpuIsa& isa, bool cuda_bf16) {
  if (device.is_cuda())
    return cuda_bf16 ? PrecisionChoice{"bf16", "the GPU's cuDNN runs bf16 convolutions"}
                     : PrecisionChoice{"fp32", "the GPU's cuDNN has no bf16 convolutions"};
  if (isa.amx_bf16) return {"bf16", "the CPU has AMX-BF16"};
  if (isa.avx512_bf16) return {"bf16", "the CPU has AVX512-BF16"};
  return {"fp32", "the CPU has no native bf16 (" + isa.describe() + "): bf16 would be emulated"};
}

PrecisionChoice choose_precision(const torch::Device& device) {
  const bool cuda_bf16 = device.is_cuda() && at::detail::getCUDAHooks().supportsBFloat16ConvolutionWithCuDNNv8();
  return choose_precision(device, cpu_isa(), cuda_bf16);
}

std::optional<at::ScalarType> autocast_dtype_for(const std::string& precision, const torch::Device& device,
                                                 const std::string& node) {
  if (precision == "bf16") return at::kBFloat16;
  if (precision != "fp16") return std::nullopt;
  if (!device.is_cuda())
    throw Error("fp16 needs a CUDA device (LibTorch's CPU autocast has no fp16); use bf16 or fp32 on " +
                    device.str(),
                node, "precision");
  return at::kHalf;
}

LayoutChoice choose_layout(const std::string& channels_last, const torch::Device& device,
                           std::optional<at::ScalarType> autocast, bool avx512_kernels) {
  if (channels_last != "auto") return {channels_last == "true", "set in the graph"};
  if (device.is_cuda()) return {false, "not measured on CUDA yet"};
  if (autocast) return {false, "no gain measured in " + std::string(c10::toString(*autocast)) + " on the CPU"};
  if (!avx512_kernels) return {false, "no gain measured in fp32 with oneDNN's AVX2 kernels"};
  return {true, "fp32 on an AVX-512 CPU: oneDNN's channels-last convolutions skip its layout reorders"};
}

torch::Tensor in_layout(const torch::Tensor& t, bool channels_last) {
  return channels_last && t.dim() == 4 ? t.contiguous(torch::MemoryFormat::ChannelsLast) : t;
}

}  // namespace ganflow
