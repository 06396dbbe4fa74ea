// A well-formed test plugin with one loss type. Built several times with different
// descriptor macros to make the broken variants the loader must refuse.
#include <ganflow/ganflow.hpp>

#ifndef GANFLOW_TEST_LIBRARY_NAME
#define GANFLOW_TEST_LIBRARY_NAME "good"
#endif

namespace {
class ScaledL1 : public ganflow::Loss {
 public:
  explicit ScaledL1(double scale) : scale_(scale) {}
  torch::Tensor forward(const torch::Tensor& out, const torch::Tensor& target) override {
    return scale_ * (out - target).abs().mean();
  }

 private:
  double scale_;
};
}  // namespace

GANFLOW_PLUGIN(GANFLOW_TEST_LIBRARY_NAME, "1.0") {
  ganflow::NodeSpec s("test_scaled_l1", ganflow::NodeKind::Loss, "L1 loss times a scale (test plugin).");
  s.param_float("scale", 1.0, "Multiplier.").range(0, 100);
  s.factory = [](const ganflow::BuildContext& c) { return std::make_shared<ScaledL1>(c.params().f("scale")); };
  registry.add(std::move(s));
}
