#include "ganflow/unit_range.hpp"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>

#include "ganflow/error.hpp"
#include "layers/float_vectors.hpp"

namespace ganflow {

namespace {
// Division, not a product with 1 / 127.5: that rounds 111 of the 256 values differently from
// LibTorch's div_, and a loaded image must not depend on the path it took. Division is the
// loop's cost, hence the AVX-512 and AVX2 clones (the SDK's baseline has 4-lane SSE only).
GANFLOW_CLONES void unit_from_bytes(const uint8_t* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = float(in[i]) / 127.5f - 1.0f;
}
}  // namespace

torch::Tensor unit_from_pixels(const torch::Tensor& pixels) {
  if (pixels.is_cpu()) {
    torch::Tensor out = torch::empty(pixels.sizes(), pixels.options().dtype(torch::kFloat));
    return unit_from_pixels_into(out, pixels);
  }
  return pixels.to(torch::kFloat, /*non_blocking=*/false, /*copy=*/true).div_(127.5).sub_(1.0);
}

torch::Tensor& unit_from_pixels_into(torch::Tensor& out, const torch::Tensor& pixels) {
  if (out.scalar_type() != torch::kFloat || out.sizes() != pixels.sizes() || out.device() != pixels.device())
    throw Error("unit_from_pixels_into needs a float tensor of the pixels' shape and device");
  const bool one_pass = pixels.is_cpu() && pixels.scalar_type() == torch::kUInt8 && pixels.is_contiguous() && out.is_contiguous();
  if (!one_pass) return out.copy_(pixels).div_(127.5).sub_(1.0);
  const uint8_t* in = pixels.data_ptr<uint8_t>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, pixels.numel(), int64_t(1) << 16, [&](int64_t b, int64_t e) { unit_from_bytes(in + b, o + b, e - b); });
  return out;
}

torch::Tensor pixels_from_unit(const torch::Tensor& x) {
  return x.detach().to(torch::kFloat).clamp(-1, 1).add(1).mul(127.5).round().to(torch::kUInt8);
}

Image image_from_unit(const torch::Tensor& chw) {
  if (chw.dim() != 3 || (chw.size(0) != 1 && chw.size(0) != 3))
    throw Error("an image needs [1 or 3, H, W] values, got " + c10::str(chw.sizes()));
  torch::Tensor u8 = pixels_from_unit(chw).to(torch::kCPU).contiguous();
  Image img(int(u8.size(0)), int(u8.size(1)), int(u8.size(2)));
  std::copy(u8.data_ptr<uint8_t>(), u8.data_ptr<uint8_t>() + u8.numel(), img.data.begin());
  return img;
}

}  // namespace ganflow
