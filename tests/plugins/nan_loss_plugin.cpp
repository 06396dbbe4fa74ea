// A critic loss that diverges on purpose, for the NaN-stop test: BCE with logits on real and
// fake predictions until its `nan_from`-th call (0-based), NaN from then on (the gradients too).
#include <ganflow/ganflow.hpp>
#include <torch/torch.h>

#include <cmath>

namespace {

class NanCritLoss : public ganflow::CritLoss {
 public:
  explicit NanCritLoss(int64_t nan_from) : nan_from_(nan_from) {}
  torch::Tensor forward(const ganflow::CriticBatch& b) override {
    auto bce = [](const torch::Tensor& pred, double target) {
      return torch::binary_cross_entropy_with_logits(pred, torch::full_like(pred, target));
    };
    torch::Tensor loss = (bce(b.real_pred, 1.0) + bce(b.fake_pred, 0.0)) / 2;
    return calls_++ >= nan_from_ ? loss * NAN : loss;
  }

 private:
  int64_t nan_from_, calls_ = 0;
};

}  // namespace

GANFLOW_PLUGIN("nan_loss", "1.0") {
  ganflow::NodeSpec s("nan_crit_loss", ganflow::NodeKind::CritLoss,
                      "BCE critic loss that turns NaN from its nan_from-th call (tests).");
  s.param_int("nan_from", 0, "The first call (0-based) that returns NaN.").at_least(0);
  s.factory = [](const ganflow::BuildContext& c) { return std::make_shared<NanCritLoss>(c.params().i("nan_from")); };
  registry.add(std::move(s));
}
