#pragma once
// `ganflow generate`: images from a trained generator of a run (or one checkpoint).
#include <string>
#include <vector>

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
  double truncation = 0;  // > 0: resample noise components with |z| > truncation (BigGAN)
  int64_t interpolate = 0;       // > 0: this many images from each seed of `seeds` to the next (slerp)
  std::vector<uint64_t> seeds;   // with interpolate: at least two; each seed's noise is that of --seed S --n 1
  // Class-conditional generators: one class: every image of it; several (or none given: every
  // class): one row per class with the same noise down each column, n / classes columns.
  std::vector<int64_t> classes;
};

// Rebuilds the run's graph, loads the generator's trained weights and writes `n` images (or
// the interpolation path); returns how many it wrote.
int64_t generate_images(const GenerateOptions& o, const HostRegistry& registry);

}  // namespace ganflow
