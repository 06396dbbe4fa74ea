// Generator EMA (StyleGAN's G_ema): an exponential moving average of the generator's weights,
// updated after every generator step; the GAN stage samples with it and saves it.
#include <ganflow/ganflow.hpp>
#include <ganflow/weight_average.hpp>

#include <torch/torch.h>

#include <cmath>

namespace ganflow_callbacks {

namespace {
struct EmaSettings {  // read from the params register_generator_ema declares (their defaults are there)
  double half_life_kimg{}, rampup{}, beta{};
};

class GeneratorEma : public ganflow::Callback, public ganflow::WeightAverage {
 public:
  GeneratorEma(EmaSettings s, std::shared_ptr<ganflow::Model> generator) : s_(s), gen_(std::move(generator)) {}

  // After the stage's own work and the switchers: the step that just happened is final.
  int order() const override { return 10; }

  std::shared_ptr<ganflow::Model> averaged_model() const override { return gen_; }

  ganflow::StateDict averaged() const override {
    ganflow::StateDict sd;
    if (params_.empty()) return sd;
    std::size_t i = 0, j = 0;
    for (const auto& p : gen_->module().named_parameters(true)) sd.insert(p.key(), params_[i++].to(torch::kCPU).clone());
    for (const auto& b : gen_->module().named_buffers(true)) sd.insert(b.key(), buffers_[j++].to(torch::kCPU).clone());
    return sd;
  }
  void load_averaged(const ganflow::StateDict& sd) override { resume_from_ = sd; }

  // The average starts as the generator's weights (or continues from a checkpoint's), on its device.
  void on_train_begin(ganflow::Trainer&) override {
    params_.clear(), buffers_.clear(), live_params_.clear(), live_buffers_.clear();
    torch::NoGradGuard ng;
    auto& m = gen_->module();
    for (const auto& p : m.named_parameters(true)) {
      live_params_.push_back(p.value());
      params_.push_back(start_value(p.key(), p.value()));
    }
    for (const auto& b : m.named_buffers(true)) {
      live_buffers_.push_back(b.value());
      buffers_.push_back(start_value(b.key(), b.value()));
    }
    resume_from_ = ganflow::StateDict();
  }

  // ema = beta * ema + (1 - beta) * weights, in place over all parameters at once (no host sync);
  // buffers (BatchNorm statistics) are copied, as StyleGAN does.
  void on_step_end(ganflow::Trainer& t) override {
    if (!t.is_gan() || !t.training() || !t.gen_mode() || params_.empty()) return;
    const double b = beta(t.batch_size());
    torch::NoGradGuard ng;
    torch::_foreach_mul_(params_, b);
    torch::_foreach_add_(params_, live_params_, 1.0 - b);
    for (std::size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(live_buffers_[i]);
    last_beta_ = b;
  }
  void on_batch_end(ganflow::Trainer& t) override {
    if (t.training()) images_ += t.batch_size();
  }
  void on_epoch_end(ganflow::Trainer& t) override {
    if (last_beta_ >= 0) t.record("ema_beta", last_beta_);
  }

  ganflow::json state() const override { return {{"images", images_}}; }
  void load_state(const ganflow::json& j) override { images_ = j.at("images").get<int64_t>(); }

 private:
  // StyleGAN2-ADA's rule: a half-life of half_life_kimg thousand images, at most rampup x the
  // images seen so far (so early weights are forgotten fast); or a fixed beta per step.
  double beta(int64_t batch) const {
    if (s_.beta > 0) return s_.beta;
    double half_life = s_.half_life_kimg * 1000.0;
    if (s_.rampup > 0) half_life = std::min(half_life, double(images_) * s_.rampup);
    return std::pow(0.5, double(batch) / std::max(half_life, 1e-8));
  }
  torch::Tensor start_value(const std::string& key, const torch::Tensor& live) const {
    if (resume_from_.size() == 0) return live.detach().clone();
    if (!resume_from_.contains(key))
      throw ganflow::Error("the checkpoint's average has no '" + key + "' (another generator?)", name());
    return resume_from_.at(key).to(live.device(), live.scalar_type()).clone();
  }

  EmaSettings s_;
  std::shared_ptr<ganflow::Model> gen_;
  std::vector<torch::Tensor> params_, buffers_, live_params_, live_buffers_;
  ganflow::StateDict resume_from_;
  int64_t images_ = 0;
  double last_beta_ = -1;
};
}  // namespace

void register_generator_ema(ganflow::Registry& r) {
  ganflow::NodeSpec s("generator_ema", ganflow::NodeKind::Callback,
                      "Exponential moving average of the generator's weights (StyleGAN's G_ema), updated after every "
                      "generator step; BatchNorm statistics are copied. The GAN stage draws its sample grids with it and "
                      "writes <stage>_generator_ema.pt; ganflow generate uses that unless --raw. In checkpoints; resumes "
                      "exactly. Add it to the stage's callbacks.");
  s.input("generator", {ganflow::NodeKind::Model}, "The generator the GAN stage trains.")
      .input_roles("generator", {"generator"});
  using S = EmaSettings;
  ganflow::Fields<S> f(s);
  f.add("half_life_kimg", &S::half_life_kimg, 10.0,
        "Half-life of the average in thousands of training images (StyleGAN's ema_kimg); for a "
        "2-epoch Fashion-MNIST run about 1 measured best (docs/quality.md).")
      .at_least(1e-6);
  f.add("rampup", &S::rampup, 0.05,
        "The half-life is at most rampup x the images seen so far (StyleGAN2-ADA's ema_rampup); 0: off.")
      .range(0, 1);
  f.add("beta", &S::beta, 0.0, "A fixed decay per generator step instead of the half-life rule; 0: the half-life rule.")
      .range(0, 0.999999);
  s.factory = [f](const ganflow::BuildContext& c) {
    return std::make_shared<GeneratorEma>(f.read(c), c.input<ganflow::Model>("generator"));
  };
  r.add(std::move(s));
}

}  // namespace ganflow_callbacks
