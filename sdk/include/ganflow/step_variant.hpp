#pragma once
// A loss whose kernels differ from one step to the next by a decision on the host (lazy
// regularisation: a penalty on every N-th critic batch only) says which of its variants a step
// runs. A training stage with cuda_graphs replays the kernels of one captured step, so it keeps
// a graph per variant; a loss that decides per step without this interface would replay what
// it did when captured. A loss that wraps another passes the inner one's variant on
// (step_variant_of). Added in ABI 3.4 (a new interface; existing vtables unchanged).
#include <cstdint>

#include "ganflow/export.hpp"

namespace ganflow {

class CritLoss;
class GenLoss;

class GANFLOW_API StepVariant {
 public:
  virtual ~StepVariant();
  // Equal for the critic steps (CriticBatch::critic_steps) that run the same kernels; >= 0.
  virtual int64_t step_variant(int64_t critic_steps) const = 0;
};

// A loss's variant at this step: 0 for a loss without the interface.
GANFLOW_API int64_t step_variant_of(const CritLoss& loss, int64_t critic_steps);
GANFLOW_API int64_t step_variant_of(const GenLoss& loss, int64_t critic_steps);

}  // namespace ganflow
