#include "ganflow/critic_augment.hpp"

namespace ganflow {

CriticAugment::~CriticAugment() = default;

}  // namespace ganflow
