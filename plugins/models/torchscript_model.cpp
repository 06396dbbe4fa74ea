// torchscript_model: a network written in PyTorch (torch.jit.script / torch.jit.save), or exported
// by `ganflow export`, trained as a generator or a critic in any graph (ganflow::ScriptedModule).
#include <ganflow/conditional_model.hpp>
#include <ganflow/ganflow.hpp>
#include <ganflow/scripted_module.hpp>

#include <torch/torch.h>

#include "class_labels.hpp"

namespace ganflow_models {

namespace {
struct ScriptSettings {  // read from the params register_torchscript_model declares (their defaults are there)
  std::string file;
  int64_t n_classes{};
  std::vector<int64_t> input_shape, output_shape;
};

class TorchScriptModel : public ganflow::Model {
 public:
  explicit TorchScriptModel(ganflow::ScriptedModule net) : net_(std::move(net)) {}
  torch::nn::Module& module() override { return *net_; }
  torch::Tensor forward(const torch::Tensor& x) override { return net_->forward({x}); }

 protected:
  ganflow::ScriptedModule net_;
};

class ConditionalTorchScriptModel : public TorchScriptModel, public ganflow::ConditionalModel {
 public:
  ConditionalTorchScriptModel(ganflow::ScriptedModule net, int64_t n_classes)
      : TorchScriptModel(std::move(net)), n_classes_(n_classes) {}
  torch::Tensor forward(const torch::Tensor&) override {
    ganflow::refuse_without_labels(name());
    return {};
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) override {
    check_labels(labels, x.size(0), n_classes_, name());
    return net_->forward({x, labels});
  }
  int64_t n_classes() const override { return n_classes_; }

 private:
  int64_t n_classes_;
};

std::string shape_text(c10::IntArrayRef s) { return c10::str(s); }

// One forward of a batch of two zero inputs, in eval mode and without gradients (no statistic
// moves), so that a network that does not fit the graph fails at build time.
void probe(ganflow::Model& model, const ScriptSettings& k, const std::string& node) {
  std::vector<int64_t> in{2}, want{2};
  in.insert(in.end(), k.input_shape.begin(), k.input_shape.end());
  want.insert(want.end(), k.output_shape.begin(), k.output_shape.end());
  torch::nn::Module& m = model.module();
  const bool was_training = m.is_training();
  m.eval();
  torch::NoGradGuard ng;
  torch::Tensor out;
  try {
    const torch::Tensor x = torch::zeros(in);
    auto* cond = dynamic_cast<ganflow::ConditionalModel*>(&model);
    out = cond ? cond->forward(x, torch::zeros({2}, torch::kLong)) : model.forward(x);
  } catch (const ganflow::Error& e) {
    throw ganflow::Error(e.message() + " (input " + shape_text(in) + " from input_shape)", node, "input_shape");
  }
  m.train(was_training);
  if (!k.output_shape.empty() && out.sizes() != c10::IntArrayRef(want))
    throw ganflow::Error(k.file + ": forward of " + shape_text(in) + " gives " + shape_text(out.sizes()) +
                             ", the graph expects " + shape_text(want) + " (output_shape)",
                         node, "output_shape");
}
}  // namespace

void register_torchscript_model(ganflow::Registry& registry) {
  ganflow::NodeSpec s("torchscript_model", ganflow::NodeKind::Model,
                      "A TorchScript network (torch.jit.save of a scripted or traced PyTorch module, or a "
                      "`ganflow export`) trained as a generator or a critic: its parameters and buffers are "
                      "trained, checkpointed and resumed under their own names, train/eval mode reaches the "
                      "script, and `ganflow export` writes it back as TorchScript.");
  using S = ScriptSettings;
  ganflow::Fields<S> f(s);
  f.add_path("file", &S::file, std::nullopt, "The TorchScript file (\"run:\" paths are inside the run folder).");
  f.add("n_classes", &S::n_classes, 0,
        "Classes the network is conditioned on: > 0, its forward takes (x, labels int64 [bs]).")
      .range(0, 100000);
  f.add_list("input_shape", &S::input_shape, {},
             "One input's shape without the batch ([noise_sz, 1, 1], [C, H, W]); given, a batch of two zero "
             "inputs runs through the network at build time.");
  f.add_list("output_shape", &S::output_shape, {},
             "With input_shape: the output's shape without the batch that the graph needs ([C, H, W] for a "
             "generator, [1] for a critic's logit); another is a build-time error.");
  s.classes_param = "n_classes";
  s.factory = [f](const ganflow::BuildContext& c) -> std::shared_ptr<ganflow::Node> {
    ScriptSettings k = f.read(c);
    ganflow::ScriptedModule net(k.file, c.node_name(), "file");
    const std::size_t want_inputs = k.n_classes > 0 ? 2 : 1;
    if (net->n_inputs() != want_inputs)
      throw ganflow::Error(k.file + ": its forward takes " + std::to_string(net->n_inputs()) + " inputs; " +
                               (k.n_classes > 0 ? "with n_classes it must take (x, labels)" : "it must take one (x)"),
                           c.node_name(), "file");
    std::shared_ptr<ganflow::Model> model;
    if (k.n_classes > 0) model = std::make_shared<ConditionalTorchScriptModel>(net, k.n_classes);
    else model = std::make_shared<TorchScriptModel>(net);
    if (!k.input_shape.empty()) probe(*model, k, c.node_name());
    return model;
  };
  registry.add(std::move(s));
}

}  // namespace ganflow_models
