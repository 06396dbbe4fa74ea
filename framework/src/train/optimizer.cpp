#include "ganflow/framework/train/optimizer.hpp"

#include <torch/optim/adam.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <map>
#include <sstream>
#include <type_traits>

namespace ganflow {

namespace {
// The key torch::optim keeps a parameter's state under: its TensorImpl's address, as a string
// in LibTorch 1.13 and as the pointer itself in 2.x.
template <class Map>
typename Map::key_type state_key(const torch::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

// torch::optim::Adam's step (no amsgrad) as a few multi-tensor ops over every parameter with
// a gradient instead of about ten kernels per parameter: on CUDA each _foreach op is one
// launch for the whole network, and a small GAN's step is launch-bound. The state lives where
// torch::optim::Adam keeps it, so checkpoints and a later torch step see the same thing.
void foreach_adam_step(torch::optim::Adam& opt) {
  torch::NoGradGuard no_grad;
  auto& states = opt.state();
  for (auto& group : opt.param_groups()) {
    auto& o = static_cast<torch::optim::AdamOptions&>(group.options());
    auto [beta1, beta2] = o.betas();
    struct Lists {
      std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    };
    std::map<int64_t, Lists> by_step;  // parameters whose state has the same step count
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto key = state_key<std::decay_t<decltype(states)>>(p);
      auto it = states.find(key);
      if (it == states.end()) {
        auto st = std::make_unique<torch::optim::AdamParamState>();
        st->step(0);
        st->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        st->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = states.emplace(key, std::move(st)).first;
      }
      auto& st = static_cast<torch::optim::AdamParamState&>(*it->second);
      st.step(st.step() + 1);
      Lists& l = by_step[st.step()];
      l.params.push_back(p);
      l.grads.push_back(p.grad());
      l.exp_avgs.push_back(st.exp_avg());
      l.exp_avg_sqs.push_back(st.exp_avg_sq());
    }
    for (auto& [step, l] : by_step) {
      double bias_correction1 = 1 - std::pow(beta1, double(step));
      double bias_correction2 = 1 - std::pow(beta2, double(step));
      auto grads = o.weight_decay() != 0 ? at::_foreach_add(l.grads, l.params, o.weight_decay()) : l.grads;
      at::_foreach_mul_(l.exp_avgs, beta1);
      at::_foreach_add_(l.exp_avgs, grads, 1 - beta1);
      at::_foreach_mul_(l.exp_avg_sqs, beta2);
      at::_foreach_addcmul_(l.exp_avg_sqs, grads, grads, 1 - beta2);
      auto denom = at::_foreach_sqrt(l.exp_avg_sqs);
      at::_foreach_div_(denom, std::sqrt(bias_correction2));
      at::_foreach_add_(denom, o.eps());
      at::_foreach_addcdiv_(l.params, l.exp_avgs, denom, -o.lr() / bias_correction1);
    }
  }
}
}  // namespace

Fields<OptimizerSettings> optimizer_fields(NodeSpec& spec, const OptimizerSettings& d) {
  Fields<OptimizerSettings> f(spec);
  f.add_enum("opt", &OptimizerSettings::kind, {"adam", "rmsprop", "sgd"}, d.kind,
             "Optimiser (one per network in GAN stages).");
  f.bind(spec.param_list("betas", ParamType::Float, json::array({d.beta1, d.beta2}),
                         "Adam betas; for rmsprop/sgd the first is the momentum, the second rmsprop's alpha.")
             .length(2),
         [](const Params& p, const std::string& name, OptimizerSettings& s) {
           auto b = p.floats(name);
           s.beta1 = b[0], s.beta2 = b[1];
         });
  spec.params.back().element->range(0, 1);
  f.add("eps", &OptimizerSettings::eps, d.eps, "Optimiser epsilon.").range(0, 1);
  f.add("wd", &OptimizerSettings::wd, d.wd, "Weight decay.").at_least(0);
  f.add("true_wd", &OptimizerSettings::true_wd, d.true_wd,
        "Decoupled weight decay (fastai true_wd) instead of L2 in the gradient.");
  return f;
}

Optim::Optim(const OptimizerSettings& s, double base_lr, std::vector<torch::Tensor> params)
    : s_(s), base_lr_(base_lr), params_(std::move(params)) {
  double l2 = s.true_wd ? 0.0 : s.wd;
  if (s.kind == "adam")
    opt_ = std::make_unique<torch::optim::Adam>(
        params_, torch::optim::AdamOptions(base_lr).betas({s.beta1, s.beta2}).eps(s.eps).weight_decay(l2));
  else if (s.kind == "rmsprop")
    opt_ = std::make_unique<torch::optim::RMSprop>(
        params_, torch::optim::RMSpropOptions(base_lr).alpha(s.beta2).eps(s.eps).momentum(s.beta1).weight_decay(l2));
  else
    opt_ = std::make_unique<torch::optim::SGD>(params_,
                                               torch::optim::SGDOptions(base_lr).momentum(s.beta1).weight_decay(l2));
}

void Optim::step() {
  if (s_.true_wd && s_.wd > 0) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> with_grad;
    for (auto& p : params_)
      if (p.grad().defined()) with_grad.push_back(p);
    if (!with_grad.empty()) at::_foreach_mul_(with_grad, 1 - lr() * s_.wd);
  }
  if (s_.kind == "adam")
    foreach_adam_step(static_cast<torch::optim::Adam&>(*opt_));
  else
    opt_->step();
}

void Optim::zero_grad() {
  for (auto& p : params_) p.mutable_grad().reset();
}

double Optim::lr() const { return opt_->param_groups().front().options().get_lr(); }

void Optim::set_lr(double lr) {
  for (auto& g : opt_->param_groups()) g.options().set_lr(lr);
}

void Optim::scale_lr(double factor) {
  for (auto& g : opt_->param_groups()) g.options().set_lr(g.options().get_lr() * factor);
}

void Optim::set_momentum(double beta1) {
  for (auto& g : opt_->param_groups()) {
    if (auto* a = dynamic_cast<torch::optim::AdamOptions*>(&g.options()))
      a->betas({beta1, std::get<1>(a->betas())});
    else if (auto* r = dynamic_cast<torch::optim::RMSpropOptions*>(&g.options()))
      r->momentum(beta1);
    else if (auto* m = dynamic_cast<torch::optim::SGDOptions*>(&g.options()))
      m->momentum(beta1);
  }
}

}  // namespace ganflow
