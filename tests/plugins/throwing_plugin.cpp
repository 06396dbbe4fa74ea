// A test plugin whose registration throws after registering one type: the host must report
// it, not crash, and keep nothing of it.
#include <ganflow/ganflow.hpp>

namespace {
class Half : public ganflow::Loss {
 public:
  torch::Tensor forward(const torch::Tensor& output, const torch::Tensor&) override { return output.mean(); }
};
}  // namespace

GANFLOW_PLUGIN("throws", "1.0") {
  ganflow::NodeSpec s("test_half_registered", ganflow::NodeKind::Loss, "Registered before the failure (test plugin).");
  s.factory = [](const ganflow::BuildContext&) { return std::make_shared<Half>(); };
  registry.add(std::move(s));
  throw std::runtime_error("deliberate failure in registration");
}
