#pragma once
// A stage that trains a generator offers it through this interface to `ganflow generate` (and
// later `export`), which then need not know the stage's type or its port names. The GAN stages
// implement it; a plugin stage that trains a generator can too.
#include <memory>
#include <string>

#include "ganflow/data.hpp"
#include "ganflow/export.hpp"
#include "ganflow/model.hpp"

namespace ganflow {

class GANFLOW_API TrainedGenerator {
 public:
  virtual ~TrainedGenerator();
  virtual std::shared_ptr<Model> generator() const = 0;
  // What the generator draws from; nullptr when it takes images (an image-to-image generator).
  virtual std::shared_ptr<NoiseSource> generator_noise() const = 0;
  // The generator's final weights in the run folder (a state-dict pickle), e.g. "gan_generator.pt".
  // Until the stage finishes, its last checkpoint (checkpoints/<stage>_last.pt) holds the
  // generator's state dict under the key "generator". With a weight average (generator_ema)
  // the averaged weights are beside it as "<file stem>_ema.pt", and in the checkpoint under
  // "average:<callback node>".
  virtual std::string generator_file() const = 0;
};

// "<stem>_ema.pt" for "<stem>.pt": where a stage writes its generator's averaged weights.
inline std::string averaged_file(const std::string& generator_file) {
  const auto dot = generator_file.rfind(".pt");
  return (dot == std::string::npos ? generator_file : generator_file.substr(0, dot)) + "_ema.pt";
}

}  // namespace ganflow
