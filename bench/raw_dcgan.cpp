// The floor: a hand-written LibTorch loop with the same models, loss, optimisers, batch
// size and step pattern as graphs/dcgan_fashion_mnist_fastai.json (fastai v2 basic_generator /
// basic_critic, BCE with logits, Adam 2e-4 betas (0.5, 0.99), 1:1 switching, the idle
// network frozen, two optimisers), data preloaded on the device (Fashion-MNIST padded to
// --size), noise drawn on the device.
// Usage: raw_dcgan --bs 64 --steps 60 --warmup 20 --threads 2 [--fast] [--device cpu|cuda]
//                  [--size 32] [--n-extra-layers 0] [--precision fp32|bf16] [--channels-last]
//                  [--profile FILE]
// --fast: ganflow's layers (FastConvTranspose2d, FastConv2d, and each BatchNorm with its activation
// in a SequentialBlock, which runs them fused) instead of the stock ones.
// --channels-last: the models' 4-D weights and the data in channels-last layout (NHWC), as
// ganflow's `channels_last: true`.
// --profile FILE: the timed steps under LibTorch's autograd profiler, written as a chrome trace
// (every aten op with its duration; bench/BENCHMARKS.md sums it per op). Slows the steps.
// Prints "images/s N" and, on CUDA, "peak_mem_mb M" (the caching allocator's peak).
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "ganflow/layers/batch_norm.hpp"
#include "ganflow/layers/channels_last.hpp"
#include "ganflow/layers/conv2d.hpp"
#include "ganflow/layers/conv_transpose.hpp"
#include "ganflow/layers/sequential_block.hpp"

// CUDAConfig.h exists only in CUDA builds of LibTorch (bench/CMakeLists.txt links c10_cuda there).
#if __has_include(<ATen/cuda/CUDAConfig.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define RAW_CUDA_STATS 1
#endif

namespace {
using namespace torch::nn;

bool g_fast = false;

AnyModule conv(Conv2dOptions opts) {
  if (g_fast) return AnyModule(ganflow::layers::FastConv2d(opts));
  return AnyModule(Conv2d(opts));
}

AnyModule convT(int64_t i, int64_t o, int64_t k, int64_t s, int64_t p) {
  auto opts = ConvTranspose2dOptions(i, o, k).stride(s).padding(p).bias(false);
  if (g_fast) return AnyModule(ganflow::layers::FastConvTranspose2d(opts));
  return AnyModule(ConvTranspose2d(opts));
}

// BatchNorm2d and its activation (ReLU for slope 0, else LeakyReLU).
void push_norm_act(Sequential& s, int64_t channels, double slope) {
  AnyModule act = slope == 0.0 ? AnyModule(ReLU()) : AnyModule(LeakyReLU(LeakyReLUOptions().negative_slope(slope)));
  if (!g_fast) {
    s->push_back(BatchNorm2d(channels));
    s->push_back(act);
    return;
  }
  ganflow::layers::SequentialBlock block;
  block->push_back(ganflow::layers::SyncableBatchNorm2d(channels));
  block->push_back(act);
  s->push_back(block);
}

Sequential generator(int64_t nz, int64_t nf, int64_t size, int64_t nc, int64_t n_extra) {
  Sequential g;
  int64_t cur = nf / 2, cs = 4;
  while (cs < size) cur *= 2, cs *= 2;
  g->push_back(convT(nz, cur, 4, 1, 0));
  push_norm_act(g, cur, 0.0);
  for (cs = 4; cs < size / 2; cs *= 2, cur /= 2) {
    g->push_back(convT(cur, cur / 2, 4, 2, 1));
    push_norm_act(g, cur / 2, 0.0);
  }
  for (int64_t i = 0; i < n_extra; ++i) {
    g->push_back(convT(cur, cur, 3, 1, 1));
    push_norm_act(g, cur, 0.0);
  }
  g->push_back(convT(cur, nc, 4, 2, 1));
  g->push_back(Tanh());
  return g;
}

Sequential critic(int64_t nc, int64_t nf, int64_t size, int64_t n_extra) {
  Sequential c;
  c->push_back(conv(Conv2dOptions(nc, nf, 4).stride(2).padding(1)));
  c->push_back(LeakyReLU(LeakyReLUOptions().negative_slope(0.2)));
  for (int64_t i = 0; i < n_extra; ++i) {
    c->push_back(conv(Conv2dOptions(nf, nf, 3).stride(1).padding(1).bias(false)));
    push_norm_act(c, nf, 0.2);
  }
  int64_t cs = size / 2;
  for (; cs > 4; cs /= 2, nf *= 2) {
    c->push_back(conv(Conv2dOptions(nf, nf * 2, 4).stride(2).padding(1).bias(false)));
    push_norm_act(c, nf * 2, 0.2);
  }
  c->push_back(conv(Conv2dOptions(nf, 1, 4).padding(0)));
  c->push_back(Flatten());
  return c;
}

// Fashion-MNIST train images, centred on a size x size canvas of -1 (28 -> 32 as the default graph).
torch::Tensor load_fashion_mnist(int64_t size) {
  const char* env = std::getenv("GANFLOW_FASHION_MNIST_ROOT");  // as the fashion_mnist plugin
  std::string root = env && *env ? env : "/usr/share/datasets/fashion-mnist";
  gzFile f = gzopen((root + "/train-images-idx3-ubyte.gz").c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open Fashion-MNIST (install dataset-fashion-mnist)");
  unsigned char header[16];
  gzread(f, header, 16);
  auto raw = torch::empty({60000, 1, 28, 28}, torch::kUInt8);
  gzread(f, raw.data_ptr(), 60000 * 28 * 28);
  gzclose(f);
  int64_t lo = (size - 28) / 2, hi = size - 28 - lo;
  return torch::constant_pad_nd(raw.to(torch::kFloat32).div(127.5).sub(1), {lo, hi, lo, hi}, -1);
}

void freeze(Module& m, bool on) {
  for (auto& p : m.parameters()) p.requires_grad_(!on);
}

// bf16 autocast on the device type for one region (the LibTorch 2.4 API differs from 1.13's).
struct Autocast {
  c10::DeviceType type;
  bool on;
  Autocast(c10::DeviceType t, bool enable) : type(t), on(enable) { set(on); }
  ~Autocast() {
    if (on) {
      set(false);
      at::autocast::clear_cache();
    }
  }
  void set(bool enable) {
    if (!on) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(type, at::kBFloat16);
    at::autocast::set_autocast_enabled(type, enable);
#else
    if (type == c10::DeviceType::CPU) {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(enable);
    } else {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(enable);
    }
#endif
  }
};
}  // namespace

int main(int argc, char** argv) {
  int64_t bs = 64, steps = 60, warmup = 20, threads = 2, size = 32, n_extra = 0;
  std::string device_name = "cpu", precision = "fp32", profile;
  bool channels_last = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fast") g_fast = true;
    else if (a == "--channels-last") channels_last = true;
    else if (i + 1 < argc && a == "--bs") bs = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--steps") steps = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--warmup") warmup = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--threads") threads = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--device") device_name = argv[++i];
    else if (i + 1 < argc && a == "--size") size = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--n-extra-layers") n_extra = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--precision") precision = argv[++i];
    else if (i + 1 < argc && a == "--profile") profile = argv[++i];
    else {
      std::cerr << "raw_dcgan: unknown argument " << a << "\n";
      return 2;
    }
  }
  if (precision != "fp32" && precision != "bf16") {
    std::cerr << "raw_dcgan: --precision fp32 or bf16\n";
    return 2;
  }
  torch::Device dev(device_name);
  torch::set_num_threads(int(threads));
  torch::manual_seed(0);
  ganflow::layers::set_fast_conv(g_fast);
  torch::Tensor data = load_fashion_mnist(size).to(dev);
  auto g = generator(100, 64, size, 1, n_extra);
  auto c = critic(1, 64, size, n_extra);
  g->to(dev);
  c->to(dev);
  if (channels_last) {
    data = data.contiguous(torch::MemoryFormat::ChannelsLast);
    ganflow::layers::to_channels_last(*g);
    ganflow::layers::to_channels_last(*c);
  }
  torch::optim::Adam opt_g(g->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.99}));
  torch::optim::Adam opt_c(c->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.99}));
  bool gen_mode = false, bf16 = precision == "bf16";
  freeze(*g, true);
  auto sync = [&] {
    if (dev.is_cuda()) torch::cuda::synchronize();
  };
  std::chrono::steady_clock::time_point t0;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profiler;
  for (int64_t step = 0; step < warmup + steps; ++step) {
    if (step == warmup) {
      sync();
      if (!profile.empty()) profiler = std::make_unique<torch::autograd::profiler::RecordProfile>(profile);
      t0 = std::chrono::steady_clock::now();
    }
    int64_t start = (step * bs) % (60000 - bs);
    torch::Tensor real = data.narrow(0, start, bs);
    torch::Tensor noise = torch::randn({bs, 100, 1, 1}, torch::TensorOptions(dev));
    torch::Tensor loss;
    {
      Autocast amp(dev.type(), bf16);
      if (gen_mode) {
        torch::Tensor fake_pred = c->forward(g->forward(noise));
        loss = torch::binary_cross_entropy_with_logits(fake_pred, torch::ones_like(fake_pred));
      } else {
        torch::Tensor real_pred = c->forward(real);
        torch::Tensor fake;
        {
          torch::NoGradGuard ng;
          fake = g->forward(noise);
        }
        torch::Tensor fake_pred = c->forward(fake);
        loss = (torch::binary_cross_entropy_with_logits(real_pred, torch::ones_like(real_pred)) +
                torch::binary_cross_entropy_with_logits(fake_pred, torch::zeros_like(fake_pred))) / 2;
      }
    }
    loss.backward();
    (gen_mode ? opt_g : opt_c).step();
    // Drop the gradients (set_to_none), as ganflow does: zero-filling and accumulating costs.
    for (auto& p : (gen_mode ? g : c)->parameters()) p.mutable_grad().reset();
    gen_mode = !gen_mode;  // 1:1
    freeze(*g, !gen_mode);
    freeze(*c, gen_mode);
  }
  sync();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  profiler.reset();  // writes the trace
  std::cout << "images/s " << double(steps * bs) / secs << "\n";
#ifdef RAW_CUDA_STATS
  if (dev.is_cuda()) {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(dev.has_index() ? dev.index() : 0);
    std::cout << "peak_mem_mb " << double(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0) << "\n";
  }
#endif
  return 0;
}
