#include "ganflow/framework/train/cuda_graph_steps.hpp"

#include <optional>
#include <sstream>

#include "ganflow/error.hpp"

// CUDAConfig.h is generated only for CUDA builds of LibTorch (the c10/cuda headers ship in CPU
// builds too, without the library behind them).
#if defined(GANFLOW_CUDA_TORCH) && __has_include(<ATen/cuda/CUDAConfig.h>) && __has_include(<ATen/cuda/CUDAGraph.h>)
#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>
#define GANFLOW_CUDA_GRAPHS 1
#endif

namespace ganflow {

std::string cuda_graphs_refusal(const GraphConditions& c) {
  if (!c.stage_supports) return "only GAN stages capture their steps";
  if (c.fp16) return "fp16's loss scaler decides on the host whether each step applies; use bf16 or fp32";
  if (c.data_parallel) return "data-parallel runs all-reduce gradients while backward runs";
  if (!c.augmentation.empty())
    return "the augmentation '" + c.augmentation + "' draws its probability on the host at each step";
  return "";
}

#ifdef GANFLOW_CUDA_GRAPHS
namespace {
void describe(std::ostringstream& key, const char* name, const torch::Tensor& t) {
  if (!t.defined()) return;
  key << ' ' << name << t.sizes() << t.strides() << t.scalar_type();
}

Batch clone(const Batch& b) {
  auto copy = [](const torch::Tensor& t) { return t.defined() ? t.clone() : t; };
  return {copy(b.x), copy(b.y), copy(b.labels), copy(b.gen_labels)};
}

void copy_into(Batch& to, const Batch& from) {
  for (auto [dst, src] : {std::pair{&to.x, &from.x}, {&to.y, &from.y}, {&to.labels, &from.labels},
                          {&to.gen_labels, &from.gen_labels}})
    if (dst->defined()) dst->copy_(*src, /*non_blocking=*/true);
}
}  // namespace

struct CudaGraphSteps::Graph {
  int64_t eager = 0;  // warm-up steps run so far
  at::cuda::CUDAGraph graph;
  bool captured = false;
  Batch inputs;  // the captured kernels read these: each batch is copied in before a replay
  torch::Tensor loss;
  std::vector<torch::Tensor> grads;  // each parameter's gradient buffer, rewritten by every replay
};

struct CudaGraphSteps::Stream {
  c10::cuda::CUDAStream stream;
};

CudaGraphSteps::CudaGraphSteps(const torch::Device& device, std::string stage, std::function<void(const std::string&)> log)
    : device_(device), stage_(std::move(stage)), log_(std::move(log)),
      side_(std::make_unique<Stream>(Stream{c10::cuda::getStreamFromPool(false, device.index() < 0 ? 0 : device.index())})) {}

namespace {
// Runs fn on `side` with everything queued before it finished first and everything it queued
// finished after: warm-up and capture happen a few times per run, so whole-device waits cost nothing.
template <class Fn> auto on_stream(const c10::cuda::CUDAStream& side, Fn&& fn) {
  torch::cuda::synchronize(side.device_index());
  auto out = [&] {
    c10::cuda::CUDAStreamGuard guard(side);
    return fn();
  }();
  torch::cuda::synchronize(side.device_index());
  return out;
}

// The autocast cache off for a capture: a weight cast cached inside it would outlive it.
struct NoAutocastCache {
  bool before = at::autocast::is_autocast_cache_enabled();
  NoAutocastCache() { at::autocast::set_autocast_cache_enabled(false); }
  ~NoAutocastCache() { at::autocast::set_autocast_cache_enabled(before); }
};
}  // namespace

void CudaGraphSteps::capture(Graph& g, const Batch& b, const std::vector<torch::Tensor>& params, const StepFn& step) {
  g.inputs = clone(b);
  for (auto p : params) p.mutable_grad().reset();  // backward allocates them in the graph's memory pool
  NoAutocastCache no_cache;
  std::optional<std::string> failure;
  on_stream(side_->stream, [&] {
    bool begun = false;
    try {
      g.graph.capture_begin();
      begun = true;
      g.loss = step(g.inputs).detach();  // the value only: no autograd graph kept alive
      g.graph.capture_end();
      begun = false;
    } catch (const std::exception& e) {
      failure = e.what();
      if (begun) try {
          g.graph.capture_end();
        } catch (...) {  // the capture is broken already: the first error is the one to report
        }
    }
    return 0;
  });
  if (failure)
    throw Error("cuda_graphs: capturing a training step failed (a loss, model or callback may wait on the GPU "
                "inside the step; set cuda_graphs false): " +
                    failure->substr(0, failure->find('\n')),
                stage_);
  for (auto& p : params) g.grads.push_back(p.grad());
  g.captured = true;
}
CudaGraphSteps::~CudaGraphSteps() = default;

torch::Tensor CudaGraphSteps::run(const Batch& b, int64_t variant, const std::vector<torch::Tensor>& params,
                                  const StepFn& step) {
  std::ostringstream key;
  key << "variant " << variant;
  describe(key, "x", b.x);
  describe(key, "y", b.y);
  describe(key, "labels", b.labels);
  describe(key, "gen_labels", b.gen_labels);
  auto it = graphs_.find(key.str());
  if (it == graphs_.end()) {
    if (int64_t(graphs_.size()) >= kMaxGraphs) {  // each graph holds a memory pool: varying shapes run eagerly
      if (!capped_)
        log_(stage_ + ": cuda_graphs: " + std::to_string(kMaxGraphs) + " batch shapes and variants captured; " +
             key.str() + " and any further ones run eagerly");
      capped_ = true;
      for (auto p : params) p.mutable_grad().reset();
      return step(b);
    }
    it = graphs_.emplace(key.str(), std::make_unique<Graph>()).first;
  }
  Graph& g = *it->second;
  if (!g.captured) {
    if (g.eager < kWarmupSteps) {
      ++g.eager;
      for (auto p : params) p.mutable_grad().reset();  // a replay left the graph's buffers there: don't add to them
      return on_stream(side_->stream, [&] { return step(b); });
    }
    capture(g, b, params, step);
    log_(stage_ + ": cuda_graphs: captured the step of " + key.str() + " after " + std::to_string(kWarmupSteps) +
         " eager steps");
  }
  copy_into(g.inputs, b);
  g.graph.replay();
  for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = g.grads[i];
  return g.loss;
}
#else
struct CudaGraphSteps::Graph {};
struct CudaGraphSteps::Stream {};

CudaGraphSteps::CudaGraphSteps(const torch::Device& device, std::string stage, std::function<void(const std::string&)> log)
    : device_(device), stage_(std::move(stage)), log_(std::move(log)) {
  throw Error("cuda_graphs: this LibTorch has no CUDA; set cuda_graphs false", stage_);
}

CudaGraphSteps::~CudaGraphSteps() = default;

torch::Tensor CudaGraphSteps::run(const Batch& b, int64_t, const std::vector<torch::Tensor>&, const StepFn& step) {
  return step(b);
}
#endif

}  // namespace ganflow
