#pragma once
// `ganflow export`: a run's trained generator, or its critic, as a TorchScript file
// (ganflow/torchscript.hpp).
#include <string>

#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/framework/session/trained_weights.hpp"

namespace ganflow {

struct ExportOptions {
  std::string from;   // run folder or checkpoint file
  std::string stage;  // GAN stage ("": the last one)
  std::string out;    // the .pt file to write
  WhichWeights which = WhichWeights::preferred;
  bool critic = false;  // the critic instead (`which` does not apply: critics keep no average)
};

// Writes the generator or critic (eval mode, on the CPU) and returns a one-line summary: the
// stage, the weights it took and the forward's signature.
std::string export_generator(const ExportOptions& o, const HostRegistry& registry);

}  // namespace ganflow
