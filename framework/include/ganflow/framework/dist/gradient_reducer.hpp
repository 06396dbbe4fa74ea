#pragma once
// Data-parallel gradient averaging that overlaps backward, as PyTorch DDP's reducer does: the
// trained parameters' gradients are packed into buckets in the order backward produces them,
// and each bucket's sum over ranks starts as soon as its last gradient is in, while backward
// goes on with the earlier layers. The first step of each parameter set only learns that order
// (its sums start after backward); a step whose gradients do not arrive as learned (a parameter
// unused this time, one not seen before) falls back to that and learns again.
// Every rank must train the same parameters in the same order, as the training loop ensures.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

namespace ganflow {

class DistGroup;

class GradientReducer {
 public:
  GradientReducer(DistGroup& group, int64_t bucket_bytes);
  ~GradientReducer();  // removes its hooks: the networks may train on in a later stage
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before the backward of a step that trains `params` (one optimiser's; the same vector each
  // time it trains them): their gradients are summed across ranks as backward produces them.
  void arm(const std::vector<torch::Tensor>& params);
  // After that backward: leaves each of those gradients the mean over ranks.
  void finish(const std::string& what);
  // Buckets whose sum the last step started while backward was still running.
  int64_t overlapped_buckets() const { return overlapped_; }

 private:
  struct Bucket;
  struct Set;
  void ready(Set& set, std::size_t index, const torch::Tensor& grad);
  void average_after_backward(Set& set, const std::vector<std::size_t>& order, const std::string& what);

  DistGroup& group_;
  int64_t bucket_bytes_;
  std::vector<std::unique_ptr<Set>> sets_;
  Set* armed_ = nullptr;
  int64_t overlapped_ = 0;
};

}  // namespace ganflow
