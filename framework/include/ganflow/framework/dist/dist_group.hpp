#pragma once
// The process group of a data-parallel run: c10d's ProcessGroupGloo (CPU tensors), or
// ProcessGroupNCCL for CUDA tensors when the LibTorch has it, over a TCPStore at
// MASTER_ADDR:MASTER_PORT (rank 0 hosts it). Every failure is one Error line naming this rank,
// the operation, and the cause: a rank that stopped answering, or the timeout.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "ganflow/framework/dist/world.hpp"

namespace ganflow {

class DistGroup {
 public:
  // Rendezvous with every rank; throws within `timeout` when one does not come.
  DistGroup(World world, const torch::Device& device, std::chrono::milliseconds timeout);
  ~DistGroup();
  DistGroup(const DistGroup&) = delete;
  DistGroup& operator=(const DistGroup&) = delete;

  const World& world() const { return world_; }
  int rank() const { return world_.rank; }
  int size() const { return world_.size; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  std::string backend() const;  // "gloo" or "nccl"

  // Rank 0's values into `tensors` on every rank, in place.
  void broadcast(const std::vector<torch::Tensor>& tensors, const std::string& what);
  // Starts the sum over ranks of `t` (contiguous), in place, and returns at once; safe to call
  // from an autograd hook: it never throws, a failure surfaces in wait_sums.
  void start_sum(const torch::Tensor& t);
  // Waits for every sum start_sum started.
  void wait_sums(const std::string& what);
  // Every rank's `t` (the same shape on each), concatenated along dim 0 in rank order.
  torch::Tensor all_gather(const torch::Tensor& t, const std::string& what);
  // The sum over ranks of a small tensor, in place.
  void sum(torch::Tensor& values, const std::string& what);
  // Waits for every rank, for up to `timeout` (longer than the group's: rank 0 may be evaluating).
  void barrier(std::chrono::milliseconds timeout, const std::string& what);
  // Rank 0's `value` of `what`, on every rank.
  std::string from_main(const std::string& what, const std::string& value);
  // Throws on every rank when some rank's `value` differs from rank 0's, naming that rank.
  void check_same(const std::string& what, const std::string& value);

 private:
  struct Impl;
  [[noreturn]] void fail(const std::string& what, const std::exception& e) const;

  World world_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ganflow
