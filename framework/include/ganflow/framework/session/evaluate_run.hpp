#pragma once
// `ganflow evaluate`: the FID of a trained run's generator against a folder of real images in a
// TorchScript feature network's space, through the quality plugins' `fid` stage.
#include <string>

#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/framework/session/trained_weights.hpp"

namespace ganflow {

struct EvaluateOptions {
  std::string from;      // run folder or checkpoint file
  std::string stage;     // GAN stage ("": the last one)
  std::string real;      // folder of real images (image_folder: PNG/JPEG, any size, grey or RGB)
  std::string features;  // TorchScript feature network (torchscript_features)
  std::string stats;     // reference statistics file ("": the fid stage's default in the run folder)
  std::string generated_stats;  // also write the generated set's statistics here ("": no)
  std::string device = "cpu";
  int64_t n = 10000, bs = 100;
  // How images are prepared for the network (torchscript_features' params of the same names).
  int64_t input_size = 0, channels = 3;
  std::string input_range = "0..255", resize = "bilinear";
  WhichWeights which = WhichWeights::preferred;
};

// Runs the fid stage (its log lines go to stdout and the run's log.txt; <run>/fid.json holds the
// result) and returns the FD. The real images are loaded at the generator's size and channels.
double evaluate_run(const EvaluateOptions& o, const HostRegistry& registry);

}  // namespace ganflow
