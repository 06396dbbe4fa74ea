// fastai accuracy_thresh_expand: per-patch accuracy of a critic against per-image labels.
#include <ganflow/ganflow.hpp>

#include <torch/torch.h>

namespace ganflow_metrics {

namespace {
class AccuracyThreshExpand : public ganflow::Metric {
 public:
  AccuracyThreshExpand(double thresh, bool sigmoid) : thresh_(thresh), sigmoid_(sigmoid) {}

  void reset() override {
    total_ = torch::Tensor();
    count_ = 0;
  }
  void accumulate(const torch::Tensor& pred, const torch::Tensor& target) override {
    if (target.dim() != 1 || pred.dim() < 1 || target.size(0) != pred.size(0))
      throw ganflow::Error("expected per-image labels [bs] for predictions [bs, ...], got target " +
                               c10::str(target.sizes()) + " and predictions " + c10::str(pred.sizes()),
                           name());
    auto p = sigmoid_ ? pred.detach().sigmoid() : pred.detach();
    std::vector<int64_t> shape(p.dim(), 1);
    shape[0] = target.size(0);
    // fastai compares bytes: a float label is truncated, as .byte() does.
    auto labels = target.detach().view(shape).expand_as(p).to(torch::kUInt8);
    auto acc = ((p > thresh_).to(torch::kUInt8) == labels).to(torch::kDouble).mean();
    // fastai's AvgMetric: batch means weighted by batch size; the sum stays on the device.
    auto weighted = acc * double(pred.size(0));
    total_ = total_.defined() ? total_ + weighted : weighted;
    count_ += pred.size(0);
  }
  double value() const override { return count_ ? total_.item<double>() / double(count_) : 0.0; }

 private:
  double thresh_;
  bool sigmoid_;
  torch::Tensor total_;  // 0-dim double on the predictions' device
  int64_t count_ = 0;    // images, known on the host from shapes
};

struct AccuracySettings {  // read from the params register_accuracy_thresh_expand declares
  double thresh{};
  bool sigmoid{};
};
}  // namespace

void register_accuracy_thresh_expand(ganflow::Registry& r) {
  ganflow::NodeSpec s("accuracy_thresh_expand", ganflow::NodeKind::Metric,
                      "fastai accuracy_thresh_expand: ((sigmoid(pred) > thresh) == label) averaged over every "
                      "patch of the critic's output; label [bs] expanded over [bs, N]. Epoch value: batch-size "
                      "weighted mean of the batch accuracies.");
  using S = AccuracySettings;
  ganflow::Fields<S> f(s);
  f.add("thresh", &S::thresh, 0.5, "Decision threshold (on probabilities when sigmoid is on).");
  f.add("sigmoid", &S::sigmoid, true, "Apply a sigmoid to the predictions first (they are logits).");
  s.factory = [f](const ganflow::BuildContext& c) {
    AccuracySettings st = f.read(c.params());
    return std::make_shared<AccuracyThreshExpand>(st.thresh, st.sigmoid);
  };
  r.add(std::move(s));
}

}  // namespace ganflow_metrics
