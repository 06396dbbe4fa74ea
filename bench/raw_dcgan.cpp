// The floor: a hand-written LibTorch loop with the same models, loss, optimisers, batch
// size and step pattern as graphs/dcgan_fashion_mnist.json (fastai v2 basic_generator /
// basic_critic at 32x32x1, BCE with logits, Adam 2e-4 betas (0.5, 0.99), 1:1 switching,
// the idle network frozen, two optimisers), data preloaded in memory.
// Usage: raw_dcgan --bs 64 --steps 60 --warmup 20 --threads 2 [--fast]
#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>

#include "ganflow/layers/conv_transpose.hpp"

namespace {
using namespace torch::nn;

bool g_fast = false;

AnyModule convT(int64_t i, int64_t o, int64_t k, int64_t s, int64_t p) {
  auto opts = ConvTranspose2dOptions(i, o, k).stride(s).padding(p).bias(false);
  if (g_fast) return AnyModule(ganflow::layers::FastConvTranspose2d(opts));
  return AnyModule(ConvTranspose2d(opts));
}

Sequential generator(int64_t nz, int64_t nf, int64_t size, int64_t nc) {
  Sequential g;
  int64_t cur = nf / 2, cs = 4;
  while (cs < size) cur *= 2, cs *= 2;
  g->push_back(convT(nz, cur, 4, 1, 0));
  g->push_back(BatchNorm2d(cur));
  g->push_back(ReLU());
  for (cs = 4; cs < size / 2; cs *= 2, cur /= 2) {
    g->push_back(convT(cur, cur / 2, 4, 2, 1));
    g->push_back(BatchNorm2d(cur / 2));
    g->push_back(ReLU());
  }
  g->push_back(convT(cur, nc, 4, 2, 1));
  g->push_back(Tanh());
  return g;
}

Sequential critic(int64_t nc, int64_t nf, int64_t size) {
  Sequential c;
  c->push_back(Conv2d(Conv2dOptions(nc, nf, 4).stride(2).padding(1)));
  c->push_back(LeakyReLU(LeakyReLUOptions().negative_slope(0.2)));
  int64_t cs = size / 2;
  for (; cs > 4; cs /= 2, nf *= 2) {
    c->push_back(Conv2d(Conv2dOptions(nf, nf * 2, 4).stride(2).padding(1).bias(false)));
    c->push_back(BatchNorm2d(nf * 2));
    c->push_back(LeakyReLU(LeakyReLUOptions().negative_slope(0.2)));
  }
  c->push_back(Conv2d(Conv2dOptions(nf, 1, 4).padding(0)));
  c->push_back(Flatten());
  return c;
}

// Fashion-MNIST train images, padded 28 -> 32, scaled to [-1, 1].
torch::Tensor load_fashion_mnist() {
  gzFile f = gzopen("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", "rb");
  if (!f) throw std::runtime_error("cannot open Fashion-MNIST (install dataset-fashion-mnist)");
  unsigned char header[16];
  gzread(f, header, 16);
  auto raw = torch::empty({60000, 1, 28, 28}, torch::kUInt8);
  gzread(f, raw.data_ptr(), 60000 * 28 * 28);
  gzclose(f);
  return torch::constant_pad_nd(raw.to(torch::kFloat32).div(127.5).sub(1), {2, 2, 2, 2}, -1);
}

void freeze(Module& m, bool on) {
  for (auto& p : m.parameters()) p.requires_grad_(!on);
}
}  // namespace

int main(int argc, char** argv) {
  int64_t bs = 64, steps = 60, warmup = 20, threads = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fast") g_fast = true;
    else if (i + 1 < argc && a == "--bs") bs = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--steps") steps = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--warmup") warmup = std::stoll(argv[++i]);
    else if (i + 1 < argc && a == "--threads") threads = std::stoll(argv[++i]);
  }
  torch::set_num_threads(int(threads));
  torch::manual_seed(0);
  ganflow::layers::set_fast_conv_transpose(g_fast);
  torch::Tensor data = load_fashion_mnist();
  auto g = generator(100, 64, 32, 1);
  auto c = critic(1, 64, 32);
  torch::optim::Adam opt_g(g->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.99}));
  torch::optim::Adam opt_c(c->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.99}));
  bool gen_mode = false;
  freeze(*g, true);
  std::chrono::steady_clock::time_point t0;
  for (int64_t step = 0; step < warmup + steps; ++step) {
    if (step == warmup) t0 = std::chrono::steady_clock::now();
    int64_t start = (step * bs) % (60000 - bs);
    torch::Tensor real = data.narrow(0, start, bs);
    torch::Tensor noise = torch::randn({bs, 100, 1, 1});
    torch::Tensor loss;
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
    loss.backward();
    (gen_mode ? opt_g : opt_c).step();
    (gen_mode ? opt_g : opt_c).zero_grad();
    gen_mode = !gen_mode;  // 1:1
    freeze(*g, !gen_mode);
    freeze(*c, gen_mode);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "images/s " << double(steps * bs) / secs << "\n";
  return 0;
}
