// GradientReducer on a real Gloo process group of 2 ranks (one thread each, loopback): the
// gradients it leaves are the mean of what each rank's backward computed alone, with bucket
// sums started during backward once the order is learned, and fallbacks that stay exact. The
// [cuda] variant runs the hooks where CUDA backward runs them, on autograd's device thread
// (Gloo sums CUDA tensors through the host); without a GPU it skips.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "ganflow/error.hpp"
#include "ganflow/framework/dist/dist_group.hpp"
#include "ganflow/framework/dist/gradient_reducer.hpp"
#include "test_support.hpp"

using namespace ganflow;

namespace {

constexpr int kWidth = 16;  // a 16x16 weight is 1 KiB: with 1.1 KiB buckets, one layer per bucket

// Four tanh layers; `skip` (-1: none) leaves one out, so its parameters get no gradient.
// Backward produces the last layer's gradients first.
struct Chain {
  std::vector<torch::Tensor> params;  // w0, b0, w1, b1, ...
  explicit Chain(uint64_t seed, const torch::Device& dev = torch::kCPU) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);  // not the global one: ranks are threads
    for (int l = 0; l < 4; ++l) {
      params.push_back((torch::randn({kWidth, kWidth}, gen) * 0.5).to(dev).requires_grad_());
      params.push_back((torch::randn({kWidth}, gen) * 0.1).to(dev).requires_grad_());
    }
  }
  torch::Tensor loss(const torch::Tensor& x, int skip = -1) const {
    torch::Tensor h = x;
    for (int l = 0; l < 4; ++l)
      if (l != skip) h = torch::tanh(torch::nn::functional::linear(h, params[2 * l], params[2 * l + 1]));
    return h.pow(2).mean();
  }
  void zero_grad() {
    for (auto& p : params) p.mutable_grad().reset();
  }
};

// Each rank's batch at each step.
torch::Tensor input(int rank, int step, const torch::Device& dev = torch::kCPU) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(uint64_t(100 * step + rank));
  return (torch::randn({8, kWidth}, gen) * double(1 + rank + step)).to(dev);
}

// Each rank's `body(group, rank)` on a thread of its own in one 2-rank group; rethrows nothing,
// returns each rank's error message ("" when it finished).
std::vector<std::string> two_ranks(const std::function<void(DistGroup&, int)>& body) {
  const int port = test::free_port();
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      try {
        World w;
        w.rank = w.local_rank = r;
        w.size = w.local_size = 2;
        w.master_addr = "127.0.0.1";
        w.master_port = port;
        DistGroup group(w, torch::kCPU, std::chrono::seconds(10));
        body(group, r);
      } catch (const std::exception& e) {
        errors[std::size_t(r)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

// Per step: the gradients each rank computes alone (rank 0's and rank 1's inputs), without a reducer.
std::vector<torch::Tensor> local_grads(const Chain& c, int rank, int step, int skip, double preset) {
  Chain copy(0);
  for (std::size_t i = 0; i < c.params.size(); ++i) copy.params[i] = c.params[i].detach().clone().requires_grad_();
  if (preset != 0)
    for (auto& p : copy.params) p.mutable_grad() = torch::full_like(p, preset);
  copy.loss(input(rank, step, c.params.front().device()), skip).backward();
  std::vector<torch::Tensor> g;
  for (auto& p : copy.params) g.push_back(p.grad());
  return g;
}

}  // namespace

// The steps below on `dev`; on the CPU the means are bit-equal to each rank's own gradients'.
void check_mean_over_ranks(const torch::Device& dev) {
  const Chain reference(7, dev);
  struct Step {
    int skip;       // a layer left out on both ranks (-1: none)
    double preset;  // a gradient already in .grad before backward (0: none)
    int64_t started;  // bucket sums started during backward
  };
  // Step 0 learns; 1 overlaps; 2 leaves layer 1 out: the other 3 buckets start, layer 1's never
  // fills, so the gradients are summed again after backward and the order relearned; 3 brings
  // layer 1 back, a gradient no bucket expects: the same; 4 overlaps again, with a gradient
  // already in .grad added as backward adds it.
  const std::vector<Step> steps = {{-1, 0, 0}, {-1, 0, 4}, {1, 0, 3}, {-1, 0, 3}, {-1, 0.25, 4}};
  std::vector<std::vector<torch::Tensor>> got(2 * steps.size());
  std::vector<int64_t> overlapped(2 * steps.size());
  auto errors = two_ranks([&](DistGroup& group, int rank) {
    Chain c(7, dev);  // the same weights on both ranks, as after start_together
    GradientReducer reducer(group, 1100);
    for (std::size_t s = 0; s < steps.size(); ++s) {
      c.zero_grad();
      if (steps[s].preset != 0)
        for (auto& p : c.params) p.mutable_grad() = torch::full_like(p, steps[s].preset);
      torch::Tensor loss = c.loss(input(rank, int(s), dev), steps[s].skip);
      reducer.arm(c.params);
      loss.backward();
      reducer.finish("step " + std::to_string(s));
      overlapped[2 * s + std::size_t(rank)] = reducer.overlapped_buckets();
      for (auto& p : c.params) got[2 * s + std::size_t(rank)].push_back(p.grad().defined() ? p.grad().clone() : p.grad());
    }
  });
  REQUIRE(errors == std::vector<std::string>{"", ""});
  int compared = 0;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    INFO("step " << s);
    const auto g0 = local_grads(reference, 0, int(s), steps[s].skip, steps[s].preset);
    const auto g1 = local_grads(reference, 1, int(s), steps[s].skip, steps[s].preset);
    for (int r = 0; r < 2; ++r) {
      // 4 weights, each in a bucket of its own with a bias at most.
      CHECK(overlapped[2 * s + std::size_t(r)] == steps[s].started);
      for (std::size_t i = 0; i < g0.size(); ++i) {
        INFO("rank " << r << ", parameter " << i);
        const torch::Tensor& mine = got[2 * s + std::size_t(r)][i];
        REQUIRE(mine.defined() == g0[i].defined());
        if (!mine.defined()) continue;
        CHECK(mine.device() == dev);
        const torch::Tensor want = (g0[i] + g1[i]) / 2.0;
        if (dev.is_cpu())
          CHECK(torch::equal(mine, want));  // 2 ranks: a + b is exact in any order
        else
          CHECK(torch::allclose(mine.cpu(), want.cpu(), 1e-6, 1e-8));  // cuBLAS may pick another kernel
        CHECK_FALSE(torch::equal(g0[i], g1[i]));  // the ranks' own gradients do differ
        ++compared;
      }
    }
  }
  CHECK(compared == 2 * (8 + 8 + 6 + 8 + 8));
}

TEST_CASE("gradients become the mean over ranks, bucket sums start during backward once the order is learned", "[dist]") {
  check_mean_over_ranks(torch::kCPU);
}

TEST_CASE("CUDA: gradient buckets summed from autograd's device thread are the mean over ranks", "[cuda][dist]") {
  if (!test::have_cuda()) return;
  check_mean_over_ranks(torch::Device(torch::kCUDA, 0));
}

TEST_CASE("two parameter sets trained in turn keep buckets of their own, and the idle set is untouched", "[dist]") {
  const Chain ref_a(1), ref_b(2);
  std::vector<std::vector<torch::Tensor>> got(8);
  std::vector<int64_t> overlapped(8);
  auto errors = two_ranks([&](DistGroup& group, int rank) {
    Chain a(1), b(2);
    GradientReducer reducer(group, 1 << 20);  // one bucket per set
    for (int s = 0; s < 4; ++s) {
      Chain& on = s % 2 == 0 ? a : b;
      a.zero_grad(), b.zero_grad();
      torch::Tensor loss = on.loss(input(rank, s));
      reducer.arm(on.params);
      loss.backward();
      reducer.finish("step " + std::to_string(s));
      overlapped[std::size_t(2 * s + rank)] = reducer.overlapped_buckets();
      for (auto& p : a.params) got[std::size_t(2 * s + rank)].push_back(p.grad());
      for (auto& p : b.params) got[std::size_t(2 * s + rank)].push_back(p.grad());
    }
  });
  REQUIRE(errors == std::vector<std::string>{"", ""});
  int compared = 0;
  for (int s = 0; s < 4; ++s) {
    const Chain& on = s % 2 == 0 ? ref_a : ref_b;
    const auto g0 = local_grads(on, 0, s, -1, 0), g1 = local_grads(on, 1, s, -1, 0);
    for (int r = 0; r < 2; ++r) {
      INFO("step " << s << ", rank " << r);
      CHECK(overlapped[std::size_t(2 * s + r)] == (s < 2 ? 0 : 1));  // each set's first step learns
      const auto& mine = got[std::size_t(2 * s + r)];
      const std::size_t first = s % 2 == 0 ? 0 : 8, idle = s % 2 == 0 ? 8 : 0;
      for (std::size_t i = 0; i < 8; ++i) {
        CHECK_FALSE(mine[idle + i].defined());
        CHECK(torch::equal(mine[first + i], (g0[i] + g1[i]) / 2.0));
        ++compared;
      }
    }
  }
  CHECK(compared == 4 * 2 * 8);
}

TEST_CASE("ranks whose gradients are for different parameters stop with an error naming the rank", "[dist]") {
  auto errors = two_ranks([&](DistGroup& group, int rank) {
    Chain c(3);
    GradientReducer reducer(group, 1100);
    torch::Tensor loss = c.loss(input(rank, 0), rank == 1 ? 2 : -1);  // rank 1 leaves layer 2 out
    reducer.arm(c.params);
    loss.backward();
    reducer.finish("step 0");
  });
  CHECK(errors[1] == "rank 1: step 0: this rank has gradients for 6 parameters, rank 0 for 8; every rank must "
                     "train the same parameters");
  CHECK_THAT(errors[0], Catch::StartsWith("rank 0: step 0"));  // rank 1 left: rank 0 does not hang
}
