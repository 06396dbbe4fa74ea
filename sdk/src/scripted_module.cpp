#include "ganflow/scripted_module.hpp"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/passes/subgraph_rewrite.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/serialization/import.h>

#include <filesystem>

#include "ganflow/error.hpp"
#include "ganflow/exception_message.hpp"

namespace ganflow {

namespace {
// Every aten::conv_transpose2d of `m`'s methods (and its submodules') becomes `to` (ganflow's
// fast path, layers/conv_transpose_op.cpp), or back.
void route_conv_transpose(torch::jit::Module& m, bool fast) {
  const std::string args = "(%x, %w, %b, %s, %p, %op, %g, %d)";
  auto graph = [&](const char* op) {
    return "graph" + args + ":\n  %r = " + op + args + "\n  return (%r)";
  };
  torch::jit::SubgraphRewriter rewriter;
  rewriter.RegisterRewritePattern(graph(fast ? "aten::conv_transpose2d" : "ganflow::conv_transpose2d"),
                                  graph(fast ? "ganflow::conv_transpose2d" : "aten::conv_transpose2d"));
  for (const auto& sub : m.modules()) rewriter.runOnModule(sub);
}

// The same tensors under the same names, child by child.
void mirror(const torch::jit::Module& script, torch::nn::Module& into) {
  for (const auto& p : script.named_parameters(/*recurse=*/false))
    into.register_parameter(p.name, p.value, /*requires_grad=*/p.value.is_floating_point());
  for (const auto& b : script.named_buffers(/*recurse=*/false)) into.register_buffer(b.name, b.value);
  for (const auto& c : script.named_children()) {
    auto child = std::make_shared<torch::nn::Module>("ganflow::ScriptedModule." + c.name);
    mirror(c.value, *child);
    into.register_module(c.name, child);
  }
}
}  // namespace

ScriptedModuleImpl::ScriptedModuleImpl(const std::string& file, const std::string& node, const std::string& param)
    : torch::nn::Module("ganflow::ScriptedModule"), file_(file), node_(node) {
  if (!std::filesystem::is_regular_file(file)) throw Error(file + ": no such file", node, param);
  try {
    script_ = std::make_shared<torch::jit::Module>(torch::jit::load(file, torch::kCPU));
  } catch (const std::exception& e) {
    throw Error(file + ": not a TorchScript file (" + exception_line(e) + ")", node, param);
  }
  if (!script_->find_method("forward"))
    throw Error(file + ": the TorchScript module has no forward method", node, param);
  route_conv_transpose(*script_, /*fast=*/true);
  mirror(*script_, *this);
  train(script_->is_training());
}

ScriptedModuleImpl::~ScriptedModuleImpl() = default;

torch::jit::Module ScriptedModuleImpl::portable_copy() const {
  torch::jit::Module copy = script_->clone();  // its own types and methods: the script keeps the fast op
  route_conv_transpose(copy, /*fast=*/false);
  return copy;
}

std::size_t ScriptedModuleImpl::n_inputs() const {
  std::size_t n = 0;
  for (const auto& a : script_->get_method("forward").function().getSchema().arguments())
    n += a.name() != "self" && !a.default_value();
  return n;
}

bool ScriptedModuleImpl::takes_argument(const std::string& name) const {
  for (const auto& a : script_->get_method("forward").function().getSchema().arguments())
    if (a.name() == name) return true;
  return false;
}

torch::Tensor ScriptedModuleImpl::forward(const std::vector<torch::Tensor>& inputs, const std::map<std::string, bool>& flags) {
  std::vector<torch::Tensor> out = forward_outputs(inputs, flags);
  if (out.size() != 1)
    throw Error(file_ + ": forward returned " + std::to_string(out.size()) + " tensors, not one tensor", node_);
  return out.front();
}

std::vector<torch::Tensor> ScriptedModuleImpl::forward_outputs(const std::vector<torch::Tensor>& inputs,
                                                               const std::map<std::string, bool>& flags) {
  c10::IValue out;
  try {
    torch::jit::Kwargs kwargs;
    for (const auto& [name, value] : flags) kwargs.emplace(name, value);
    // The script runs op by op, as PyTorch eager would: the JIT executor's optimised plan, made
    // after its first profiled calls, rounds differently from them in channels-last, so a run
    // resumed at step k (its executor profiling afresh) lost bit-equality with one that never
    // stopped. Thread-local, so other TorchScript in the process keeps its setting.
    torch::jit::GraphOptimizerEnabledGuard op_by_op(false);
    out = script_->get_method("forward")(std::vector<c10::IValue>(inputs.begin(), inputs.end()), kwargs);
  } catch (const std::exception& e) {
    throw Error(file_ + ": forward failed: " + exception_line(e), node_);
  }
  if (out.isTensor()) return {out.toTensor()};
  std::vector<c10::IValue> items;
  if (out.isTuple()) items = out.toTupleRef().elements().vec();
  else if (out.isList()) items = out.toListRef().vec();  // List[Tensor] included
  std::vector<torch::Tensor> tensors;
  for (const auto& v : items)
    if (v.isTensor()) tensors.push_back(v.toTensor());
  if (items.empty() || tensors.size() != items.size())
    throw Error(file_ + ": forward returned " + out.tagKind() + ", not a tensor or a tuple of tensors", node_);
  return tensors;
}

void ScriptedModuleImpl::train(bool on) {
  script_->train(on);
  torch::nn::Module::train(on);
}

}  // namespace ganflow
