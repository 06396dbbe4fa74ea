// cross_entropy: the classifier's training loss (logits [n, C], integer labels [n]).
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

namespace {
class CrossEntropy : public ganflow::Loss {
 public:
  explicit CrossEntropy(double smoothing) : smoothing_(smoothing) {}
  torch::Tensor forward(const torch::Tensor& output, const torch::Tensor& target) override {
    if (output.dim() != 2 || target.dim() != 1 || output.size(0) != target.size(0))
      throw ganflow::Error("expected logits [n, C] and labels [n], got " + c10::str(output.sizes()) + " and " +
                               c10::str(target.sizes()),
                           name());
    namespace F = torch::nn::functional;
    return F::cross_entropy(output, target.to(torch::kLong), F::CrossEntropyFuncOptions().label_smoothing(smoothing_));
  }

 private:
  double smoothing_;
};

struct CrossEntropySettings {  // read from the param register_cross_entropy declares (its default is there)
  double label_smoothing{};
};
}  // namespace

void register_cross_entropy(ganflow::Registry& r) {
  ganflow::NodeSpec s("cross_entropy", ganflow::NodeKind::Loss,
                      "Softmax cross-entropy of logits [n, C] against class labels [n] (mean over the batch).");
  ganflow::Fields<CrossEntropySettings> f(s);
  f.add("label_smoothing", &CrossEntropySettings::label_smoothing, 0.0, "Label smoothing (0: none).").range(0, 1);
  s.factory = [f](const ganflow::BuildContext& c) {
    return std::make_shared<CrossEntropy>(f.read(c.params()).label_smoothing);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
