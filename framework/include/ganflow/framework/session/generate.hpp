#pragma once
// `ganflow generate`: images from a trained generator of a run (or one checkpoint).
#include <string>

#include "ganflow/framework/plugin/host_registry.hpp"

namespace ganflow {

struct GenerateOptions {
  std::string from;    // run folder or checkpoint file
  std::string stage;   // GAN stage name ("" : the last GAN stage of the graph)
  std::string out;     // grid.png, a folder (one PNG per image), or file.pt with format pt
  std::string format = "png";  // png | pt
  std::string device = "cpu";
  int64_t n = 64;
  uint64_t seed = 0;
  bool raw = false;    // the generator's own weights even when an averaged (EMA) copy exists
};

// Rebuilds the run's graph, loads the generator's trained weights and writes `n` images.
void generate_images(const GenerateOptions& o, const HostRegistry& registry);

}  // namespace ganflow
