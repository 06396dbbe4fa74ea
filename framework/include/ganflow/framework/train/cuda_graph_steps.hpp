#pragma once
// CUDA graphs for the training loop (a training stage's cuda_graphs param). A small GAN's step
// is some 500 kernel launches of a few microseconds each, so on a fast GPU the host's launches,
// not the GPU, set the pace. The forward passes, the loss and backward of one step are captured
// once as a CUDA graph per batch shape and variant (the GAN's mode, a lazy penalty's step) and
// replayed: one launch. The optimiser, callbacks and smoothing run as before, outside the graph.
//
// Each shape and variant first runs `warmup` eager steps on a side stream (cuDNN's algorithm
// search and lazy initialisation happen there, not inside a capture), then its step is captured.
// The step function must keep no state outside the tensors it returns or stashes: a replay
// reruns its kernels and none of its host code.
#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ganflow/data.hpp"

namespace ganflow {

// What decides whether a stage's steps can be captured.
struct GraphConditions {
  bool stage_supports = false;  // the stage's step keeps no state outside its tensors (GAN stages)
  bool fp16 = false;            // the loss scaler decides on the host whether each step applies
  bool data_parallel = false;   // gradients are all-reduced while backward runs
  std::string augmentation;     // an augmentation callback's name ("": none)
};

// Why cuda_graphs cannot capture these steps; "" when it can.
std::string cuda_graphs_refusal(const GraphConditions& c);

class CudaGraphSteps {
 public:
  // Forward, loss and backward of one batch; returns the loss.
  using StepFn = std::function<torch::Tensor(const Batch&)>;
  static constexpr int64_t kWarmupSteps = 3;  // eager steps per shape and variant, as PyTorch's examples
  static constexpr int64_t kMaxGraphs = 8;    // more shapes and variants than this run eagerly

  // Throws when this LibTorch was built without CUDA.
  CudaGraphSteps(const torch::Device& device, std::string stage, std::function<void(const std::string&)> log);
  ~CudaGraphSteps();

  // Runs `step` for batch b: eagerly while its shape and variant warm up, then by replaying the
  // graph captured for them. `params` are the trained parameters; after a replay each one's
  // grad is the graph's gradient buffer, ready for the optimiser.
  torch::Tensor run(const Batch& b, int64_t variant, const std::vector<torch::Tensor>& params, const StepFn& step);

 private:
  struct Graph;
  void capture(Graph& g, const Batch& b, const std::vector<torch::Tensor>& params, const StepFn& step);

  torch::Device device_;
  std::string stage_;
  std::function<void(const std::string&)> log_;
  std::map<std::string, std::unique_ptr<Graph>> graphs_;  // by shape and variant
  bool capped_ = false;                                   // kMaxGraphs reached (logged once)
  struct Stream;
  std::unique_ptr<Stream> side_;  // warm-up and capture run here, as CUDA requires
};

}  // namespace ganflow
