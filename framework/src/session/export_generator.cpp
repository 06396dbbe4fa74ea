#include "ganflow/framework/session/export_generator.hpp"

#include <torch/csrc/jit/api/module.h>

#include "ganflow/conditional_model.hpp"
#include "ganflow/torchscript.hpp"

namespace ganflow {

std::string export_generator(const ExportOptions& o, const HostRegistry& registry) {
  if (o.critic) {
    TrainedCriticModel c = load_trained_critic(o.from, o.stage, registry);
    save_torchscript(c.critic->module(), o.out, c.critic->name());
    const bool labels = dynamic_cast<ConditionalModel*>(c.critic.get()) != nullptr;
    return "stage '" + c.stage + "' critic '" + c.critic->name() + "' (" + c.weights +
           (c.entry.empty() ? "" : " [" + c.entry + "]") + "), forward(" + (labels ? "images, labels" : "images") + ")";
  }
  TrainedModel t = load_trained_generator(o.from, o.stage, o.which, registry);
  save_torchscript(t.generator->module(), o.out, t.generator->name());
  std::string input = !t.noise ? "images" : dynamic_cast<ConditionalModel*>(t.generator.get()) ? "z, labels" : "z";
  return "stage '" + t.stage + "' generator '" + t.generator->name() + "' (" + t.weights +
         (t.entry.empty() ? "" : " [" + t.entry + "]") + "), forward(" + input + ")";
}

}  // namespace ganflow
