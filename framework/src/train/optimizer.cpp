#include "ganflow/framework/train/optimizer.hpp"

#include <torch/optim/adam.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

namespace ganflow {

void declare_optimizer_params(NodeSpec& spec, const OptimizerSettings& d) {
  spec.param_enum("opt", {"adam", "rmsprop", "sgd"}, d.kind, "Optimiser (one per network in GAN stages).");
  spec.param_list("betas", ParamType::Float, json::array({d.beta1, d.beta2}),
                  "Adam betas; for rmsprop/sgd the first is the momentum, the second rmsprop's alpha.")
      .length(2);
  spec.params.back().element->range(0, 1);
  spec.param_float("eps", d.eps, "Optimiser epsilon.").range(0, 1);
  spec.param_float("wd", d.wd, "Weight decay.").at_least(0);
  spec.param_bool("true_wd", d.true_wd, "Decoupled weight decay (fastai true_wd) instead of L2 in the gradient.");
}

OptimizerSettings read_optimizer_params(const Params& p) {
  OptimizerSettings s;
  s.kind = p.s("opt");
  auto b = p.floats("betas");
  s.beta1 = b[0], s.beta2 = b[1];
  s.eps = p.f("eps");
  s.wd = p.f("wd");
  s.true_wd = p.b("true_wd");
  return s;
}

Optim::Optim(const OptimizerSettings& s, std::vector<torch::Tensor> params) : s_(s), params_(std::move(params)) {
  double l2 = s.true_wd ? 0.0 : s.wd;
  if (s.kind == "adam")
    opt_ = std::make_unique<torch::optim::Adam>(
        params_, torch::optim::AdamOptions(1e-3).betas({s.beta1, s.beta2}).eps(s.eps).weight_decay(l2));
  else if (s.kind == "rmsprop")
    opt_ = std::make_unique<torch::optim::RMSprop>(
        params_, torch::optim::RMSpropOptions(1e-3).alpha(s.beta2).eps(s.eps).momentum(s.beta1).weight_decay(l2));
  else
    opt_ = std::make_unique<torch::optim::SGD>(params_,
                                               torch::optim::SGDOptions(1e-3).momentum(s.beta1).weight_decay(l2));
}

void Optim::step() {
  if (s_.true_wd && s_.wd > 0) {
    torch::NoGradGuard no_grad;
    double factor = 1 - lr() * s_.wd;
    for (auto& p : params_)
      if (p.grad().defined()) p.mul_(factor);
  }
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
