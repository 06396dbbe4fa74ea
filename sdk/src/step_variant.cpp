#include "ganflow/step_variant.hpp"

#include "ganflow/loss.hpp"

namespace ganflow {

StepVariant::~StepVariant() = default;

namespace {
template <class L> int64_t variant_of(const L& loss, int64_t critic_steps) {
  const auto* v = dynamic_cast<const StepVariant*>(&loss);
  return v ? v->step_variant(critic_steps) : 0;
}
}  // namespace

int64_t step_variant_of(const CritLoss& loss, int64_t critic_steps) { return variant_of(loss, critic_steps); }
int64_t step_variant_of(const GenLoss& loss, int64_t critic_steps) { return variant_of(loss, critic_steps); }

}  // namespace ganflow
