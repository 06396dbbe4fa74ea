// An out-of-tree plugin: a small classifier model and a cross-entropy loss.
#include <ganflow/ganflow.hpp>
#include <torch/torch.h>

namespace {
class CrossEntropy : public ganflow::Loss {
 public:
  torch::Tensor forward(const torch::Tensor& logits, const torch::Tensor& target) override {
    return torch::nn::functional::cross_entropy(logits, target);
  }
};
}  // namespace

GANFLOW_PLUGIN("consumer_plugins", "0.1.0") {
  ganflow::NodeSpec mlp("consumer_mlp", ganflow::NodeKind::Model, "A two-layer perceptron classifier (SDK consumer test).");
  mlp.param_int("in_features", 1024, "Flattened input size.").at_least(1);
  mlp.param_int("hidden", 64, "Hidden units.").range(1, 4096);
  mlp.param_int("classes", 10, "Output classes.").at_least(2);
  mlp.factory = [](const ganflow::BuildContext& c) {
    const auto& p = c.params();
    torch::nn::Sequential seq(torch::nn::Flatten(), torch::nn::Linear(p.i("in_features"), p.i("hidden")),
                              torch::nn::ReLU(), torch::nn::Linear(p.i("hidden"), p.i("classes")));
    return std::make_shared<ganflow::SequentialModel>(seq);
  };
  registry.add(std::move(mlp));

  ganflow::NodeSpec ce("consumer_cross_entropy", ganflow::NodeKind::Loss, "Cross-entropy on class labels (SDK consumer test).");
  ce.factory = [](const ganflow::BuildContext&) { return std::make_shared<CrossEntropy>(); };
  registry.add(std::move(ce));
}
