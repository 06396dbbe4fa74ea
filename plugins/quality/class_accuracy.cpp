// accuracy: top-1 accuracy of class logits against labels, over an epoch.
#include <torch/torch.h>

#include <ganflow/ganflow.hpp>

namespace ganflow_quality {

namespace {
class Accuracy : public ganflow::Metric {
 public:
  void reset() override {
    correct_ = torch::Tensor();
    count_ = 0;
  }
  void accumulate(const torch::Tensor& pred, const torch::Tensor& target) override {
    if (pred.dim() != 2 || target.dim() != 1 || pred.size(0) != target.size(0))
      throw ganflow::Error("expected logits [n, C] and labels [n], got " + c10::str(pred.sizes()) + " and " +
                               c10::str(target.sizes()),
                           name());
    // The count stays on the device; read once per epoch.
    auto hits = (pred.detach().argmax(1) == target.to(torch::kLong)).sum();
    correct_ = correct_.defined() ? correct_ + hits : hits;
    count_ += pred.size(0);
  }
  double value() const override { return count_ ? double(correct_.item<int64_t>()) / double(count_) : 0.0; }

 private:
  torch::Tensor correct_;
  int64_t count_ = 0;
};
}  // namespace

void register_class_accuracy(ganflow::Registry& r) {
  ganflow::NodeSpec s("accuracy", ganflow::NodeKind::Metric,
                      "Top-1 accuracy: argmax of logits [n, C] equals the label [n]; over all the epoch's images.");
  s.factory = [](const ganflow::BuildContext&) { return std::make_shared<Accuracy>(); };
  r.add(std::move(s));
}

}  // namespace ganflow_quality
