#pragma once
// A run's trained generator (or critic) with its weights loaded: what `ganflow generate` draws
// from and `ganflow export` writes out.
#include <memory>
#include <string>

#include "ganflow/data.hpp"
#include "ganflow/framework/graph/executor.hpp"
#include "ganflow/framework/plugin/host_registry.hpp"
#include "ganflow/model.hpp"

namespace ganflow {

enum class WhichWeights {
  preferred,  // the averaged weights (generator_ema) where the run kept them, else the generator's own
  raw,        // the generator's own weights
  average,    // the averaged weights; an Error when the run kept none
};

struct TrainedModel {
  std::string stage;                    // the GAN stage that trained it
  std::shared_ptr<Model> generator;     // on the CPU, weights loaded, eval mode
  std::shared_ptr<NoiseSource> noise;   // nullptr for an image-to-image generator
  std::string weights;                  // the file the weights came from
  std::string entry;                    // its entry when a checkpoint ("generator", "average:<node>"), else ""
  BuiltGraph built;                     // every node of the graph, built (the stages not run)
};

// `from`: a run folder (its final weights, else its last checkpoint) or one checkpoint / state-dict
// file of a run; `stage`: the GAN stage ("": the last one that trains a generator);
// `extra_nodes`: nodes added to the run's graph (`ganflow evaluate`'s fid stage and its inputs).
TrainedModel load_trained_generator(const std::string& from, const std::string& stage, WhichWeights which,
                                    const HostRegistry& registry, const json& extra_nodes = json::object());

struct TrainedCriticModel {
  std::string stage;               // the GAN stage that trained it
  std::shared_ptr<Model> critic;   // on the CPU, weights loaded, eval mode
  std::string weights;             // the file the weights came from
  std::string entry;               // "critic" when a checkpoint, else ""
  BuiltGraph built;                // every node of the graph, built (the stages not run)
};

// A GAN stage's trained critic; `from` and `stage` as for load_trained_generator.
TrainedCriticModel load_trained_critic(const std::string& from, const std::string& stage, const HostRegistry& registry);

}  // namespace ganflow
