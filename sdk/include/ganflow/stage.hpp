#pragma once
// Stage: a step of a pipeline (learner fit, GAN fit, generate, evaluate). Stages run in
// dependency order and hand trained models on through the nodes they share.
#include "ganflow/export.hpp"
#include <torch/types.h>

#include <string>

#include "ganflow/node.hpp"

namespace ganflow {

class GANFLOW_API RunContext {
 public:
  virtual ~RunContext();
  virtual torch::Device device() const = 0;
  virtual const std::string& run_dir() const = 0;  // this run's output folder
  virtual uint64_t seed() const = 0;
  virtual bool stop_requested() const = 0;         // SIGINT: finish the step, save, stop
  virtual void log(const std::string& line) = 0;
  // The checkpoint stage `stage` resumes from ("" for a fresh start): `ganflow run --resume`.
  virtual std::string resume_checkpoint(const std::string& /*stage*/) const { return ""; }
};

class GANFLOW_API Stage : public Node {
 public:
  ~Stage() override;
  virtual void run(RunContext& ctx) = 0;
};

}  // namespace ganflow
