#include "ganflow/conditional_model.hpp"

#include "ganflow/error.hpp"
#include "ganflow/model.hpp"

namespace ganflow {

ConditionalModel::~ConditionalModel() = default;

torch::Tensor forward_with_labels(Model& m, const torch::Tensor& x, const torch::Tensor& labels) {
  if (auto* c = dynamic_cast<ConditionalModel*>(&m)) return c->forward(x, labels);
  return m.forward(x);
}

void refuse_without_labels(const std::string& node) {
  throw Error("is class-conditional: it needs labels beside its input (forward(x, labels))", node);
}

}  // namespace ganflow
