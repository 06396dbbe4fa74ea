#include "ganflow/torchscript.hpp"

#include <torch/csrc/jit/api/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/functional.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/padding.h>
#include <torch/nn/modules/pixelshuffle.h>
#include <torch/nn/modules/pooling.h>

#include <cctype>
#include <sstream>

#include "ganflow/error.hpp"
#include "ganflow/file_write.hpp"
#include "ganflow/exception_message.hpp"
#include "ganflow/layers/batch_norm.hpp"
#include "ganflow/layers/conditional_batch_norm.hpp"
#include "ganflow/layers/dense_res_block.hpp"
#include "ganflow/layers/self_attention.hpp"
#include "ganflow/layers/spectral_norm.hpp"
#include "ganflow/scripted_module.hpp"
#include "layers/options_variant.hpp"

namespace ganflow {

Scriptable::~Scriptable() = default;

std::string script_float(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  std::string t = s.str();
  return t.find_first_of(".en") == std::string::npos ? t + ".0" : t;  // "1" would be an int
}

namespace {
namespace nn = torch::nn;
using layers::detail::option_get;
using layers::detail::option_if;

// An int list literal, [a, b].
std::string ints(c10::IntArrayRef v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
std::string optional_self(const torch::Tensor& t, const std::string& name) {
  return t.defined() ? "self." + name : "None";
}

const std::string kForward = "def forward(self, x: Tensor) -> Tensor:\n";

std::string returns(const std::string& expr) { return kForward + "    return " + expr + "\n"; }

std::string conv2d_source(const nn::Conv2dImpl& c, const std::string& path) {
  const auto& o = c.options;
  if (!option_if<torch::enumtype::kZeros>(o.padding_mode()))
    throw Error("module '" + path + "': only zero padding can be exported");
  const auto* pad = option_if<torch::ExpandingArray<2>>(o.padding());
  if (!pad) throw Error("module '" + path + "': string padding modes cannot be exported");
  return returns("torch.conv2d(x, self.weight, " + optional_self(c.bias, "bias") + ", " + ints(*o.stride()) + ", " +
                 ints(**pad) + ", " + ints(*o.dilation()) + ", " + std::to_string(o.groups()) + ")");
}

std::string conv_transpose2d_source(const nn::ConvTranspose2dImpl& c) {
  const auto& o = c.options;
  return returns("torch.conv_transpose2d(x, self.weight, " + optional_self(c.bias, "bias") + ", " + ints(*o.stride()) +
                 ", " + ints(*option_get<torch::ExpandingArray<2>>(o.padding())) + ", " + ints(*o.output_padding()) +
                 ", " + std::to_string(o.groups()) + ", " + ints(*o.dilation()) + ")");
}

// torch's BatchNorm forward: counts the batch while training, normalises with the batch's
// statistics then (updating the running ones) and with the running ones in eval mode.
std::string batch_norm_source(const torch::Tensor& weight, const torch::Tensor& bias, bool running, double momentum,
                              double eps) {
  if (!running)
    return returns("torch.batch_norm(x, " + optional_self(weight, "weight") + ", " + optional_self(bias, "bias") +
                   ", None, None, True, " + script_float(momentum) + ", " + script_float(eps) + ", False)");
  return kForward + "    if self.training:\n        self.num_batches_tracked.add_(1)\n" +
         "    return torch.batch_norm(x, " + optional_self(weight, "weight") + ", " + optional_self(bias, "bias") +
         ", self.running_mean, self.running_var, self.training, " + script_float(momentum) + ", " + script_float(eps) + ", False)\n";
}

// W / sigma with sigma from the stored vectors; training runs one power iteration first (as
// SpectralNormConvImpl::normalized_weight).
std::string spectral_norm_source(const layers::SpectralNormConvImpl& s) {
  const std::string eps = script_float(s.eps);
  const std::string conv = s.dims() == 1 ? "torch.conv1d" : "torch.conv2d";
  return kForward + "    mat = self.weight_orig.reshape(self.weight_orig.size(0), -1)\n" +
         "    u = self.weight_u\n    v = self.weight_v\n    if self.training:\n" +
         "        fixed = mat.detach()\n" +  // no torch.no_grad() in TorchScript defined from C++
         "        nv = torch.mv(fixed.t(), self.weight_u)\n" +
         "        self.weight_v.copy_(nv / torch.clamp_min(nv.norm(), " + eps + "))\n" +
         "        nu = torch.mv(fixed, self.weight_v)\n" +
         "        self.weight_u.copy_(nu / torch.clamp_min(nu.norm(), " + eps + "))\n" +
         "        u = self.weight_u.clone()\n        v = self.weight_v.clone()\n" +
         "    w = self.weight_orig / torch.dot(u, torch.mv(mat, v))\n" + "    return " + conv + "(x, w, " +
         optional_self(s.bias, "bias") + ", " + ints(s.stride()) + ", " + ints(s.padding()) + ", " +
         ints(s.dilation()) + ", " + std::to_string(s.groups()) + ")\n";
}

std::string sequential_source(const nn::Module& m) {
  std::string src = kForward;
  for (const auto& child : m.named_children()) src += "    x = getattr(self, \"" + child.key() + "\").forward(x)\n";
  return src + "    return x\n";
}

// The forward of module `m` at `path`; "" for a container without one (ModuleList).
std::string forward_source(const nn::Module& m, const std::string& path) {
  if (const auto* s = dynamic_cast<const Scriptable*>(&m)) return s->torchscript();
  if (dynamic_cast<const nn::SequentialImpl*>(&m)) return sequential_source(m);
  if (dynamic_cast<const nn::ModuleListImpl*>(&m)) return "";
  if (const auto* c = dynamic_cast<const nn::Conv2dImpl*>(&m)) return conv2d_source(*c, path);
  if (const auto* c = dynamic_cast<const nn::ConvTranspose2dImpl*>(&m)) return conv_transpose2d_source(*c);
  if (const auto* b = dynamic_cast<const layers::SyncableBatchNorm2dImpl*>(&m))
    return batch_norm_source(b->weight, b->bias, true, b->momentum, b->eps);
  if (const auto* b = dynamic_cast<const nn::BatchNorm2dImpl*>(&m)) {
    if (!b->options.momentum()) throw Error("module '" + path + "': BatchNorm with momentum None cannot be exported");
    return batch_norm_source(b->weight, b->bias, b->options.track_running_stats(), *b->options.momentum(),
                             b->options.eps());
  }
  if (const auto* b = dynamic_cast<const layers::ConditionalBatchNorm2dImpl*>(&m)) {
    const std::string n = std::to_string(b->num_features);
    return "def forward(self, x: Tensor, cond: Tensor) -> Tensor:\n"
           "    gain = torch.linear(cond.to(self.gain.dtype), self.gain).view(x.size(0), " + n + ", 1, 1).to(x.dtype)\n"
           "    bias = torch.linear(cond.to(self.bias.dtype), self.bias).view(x.size(0), " + n + ", 1, 1).to(x.dtype)\n"
           "    return self.bn.forward(x) * (1 + gain) + bias\n";
  }
  if (const auto* s = dynamic_cast<const layers::SpectralNormConvImpl*>(&m)) return spectral_norm_source(*s);
  if (dynamic_cast<const layers::SelfAttentionImpl*>(&m))
    return kForward +
           "    flat = x.reshape(x.size(0), x.size(1), -1)\n"
           "    f = self.query.forward(flat)\n    g = self.key.forward(flat)\n    h = self.value.forward(flat)\n"
           "    beta = torch.softmax(torch.bmm(f.transpose(1, 2), g), 1)\n"
           "    return (self.gamma * torch.bmm(h, beta) + flat).view(x.size()).contiguous()\n";
  if (dynamic_cast<const layers::DenseResBlockImpl*>(&m)) return returns("torch.cat([self.layers.forward(x), x], 1)");
  if (const auto* l = dynamic_cast<const nn::LinearImpl*>(&m))
    return returns("torch.linear(x, self.weight, " + optional_self(l->bias, "bias") + ")");
  if (const auto* e = dynamic_cast<const nn::EmbeddingImpl*>(&m)) {
    if (e->options.max_norm()) throw Error("module '" + path + "': Embedding with max_norm cannot be exported");
    return returns("torch.embedding(self.weight, x, " + std::to_string(e->options.padding_idx().value_or(-1)) + ")");
  }
  if (dynamic_cast<const nn::ReLUImpl*>(&m)) return returns("torch.relu(x)");
  if (const auto* l = dynamic_cast<const nn::LeakyReLUImpl*>(&m))
    return returns("torch.leaky_relu(x, " + script_float(l->options.negative_slope()) + ")");
  if (dynamic_cast<const nn::TanhImpl*>(&m)) return returns("torch.tanh(x)");
  if (dynamic_cast<const nn::SigmoidImpl*>(&m)) return returns("torch.sigmoid(x)");
  if (dynamic_cast<const nn::IdentityImpl*>(&m)) return returns("x");
  if (const auto* f = dynamic_cast<const nn::FlattenImpl*>(&m))
    return returns("torch.flatten(x, " + std::to_string(f->options.start_dim()) + ", " +
                   std::to_string(f->options.end_dim()) + ")");
  if (const auto* p = dynamic_cast<const nn::PixelShuffleImpl*>(&m))
    return returns("torch.pixel_shuffle(x, " + std::to_string(p->options.upscale_factor()) + ")");
  if (const auto* p = dynamic_cast<const nn::ReplicationPad2dImpl*>(&m))
    return returns("torch.replication_pad2d(x, " + ints(*p->options.padding()) + ")");
  if (const auto* p = dynamic_cast<const nn::AvgPool2dImpl*>(&m)) {
    const auto& o = p->options;
    return returns("torch.avg_pool2d(x, " + ints(*o.kernel_size()) + ", " + ints(*o.stride()) + ", " +
                   ints(*o.padding()) + ", " + (o.ceil_mode() ? "True" : "False") + ", " +
                   (o.count_include_pad() ? "True" : "False") + ")");
  }
  if (const auto* d = dynamic_cast<const nn::DropoutImpl*>(&m))
    return returns("torch.dropout(x, " + script_float(d->options.p()) + ", self.training)");
  if (const auto* d = dynamic_cast<const nn::Dropout2dImpl*>(&m))
    return returns("torch.feature_dropout(x, " + script_float(d->options.p()) + ", self.training)");
  if (dynamic_cast<const nn::FunctionalImpl*>(&m))
    throw Error("module '" + path + "' is a Functional (a C++ function TorchScript cannot see); make it a module "
                "that derives from ganflow::Scriptable");
  throw Error("module '" + path + "' (" + m.name() + ") has no TorchScript form; derive it from ganflow::Scriptable");
}

std::string class_name(const nn::Module& m) {
  std::string s;
  for (char ch : m.name()) s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return s;
}

torch::jit::Module convert(const nn::Module& m, const std::string& path,
                           const std::shared_ptr<torch::jit::CompilationUnit>& cu) {
  if (const auto* s = dynamic_cast<const ScriptedModuleImpl*>(&m)) return s->portable_copy();  // already TorchScript
  const std::string src = forward_source(m, path);
  torch::jit::Module out(c10::QualifiedName("__torch__.ganflow." + class_name(m)), cu, /*shouldMangle=*/true);
  out.register_attribute("training", c10::BoolType::get(), m.is_training());
  torch::NoGradGuard ng;
  for (const auto& p : m.named_parameters(/*recurse=*/false))
    out.register_parameter(p.key(), p.value().detach().clone().requires_grad_(p.value().requires_grad()), false);
  for (const auto& b : m.named_buffers(/*recurse=*/false)) out.register_buffer(b.key(), b.value().detach().clone());
  for (const auto& c : m.named_children())
    out.register_module(c.key(), convert(*c.value(), path.empty() ? c.key() : path + "." + c.key(), cu));
  if (!src.empty()) {
    try {
      out.define(src);
    } catch (const std::exception& e) {  // torch::jit::ErrorReport: the message, then the source around it
      throw Error("module '" + (path.empty() ? "<root>" : path) + "' (" + m.name() +
                  "): its TorchScript does not compile: " + exception_line(e));
    }
  }
  return out;
}
}  // namespace

torch::jit::Module to_torchscript(const torch::nn::Module& module, const std::string& node) {
  try {
    return convert(module, "", std::make_shared<torch::jit::CompilationUnit>());
  } catch (const Error& e) {
    throw Error("cannot export: " + e.message(), node);
  }
}

void save_torchscript(const torch::nn::Module& module, const std::string& file, const std::string& node) {
  torch::jit::Module m = to_torchscript(module, node);
  m.eval();
  // Serialised in memory, then written: LibTorch's own file writer aborts the process when a
  // write fails (a full disk), as its destructor throws again.
  std::ostringstream bytes;
  m.save(bytes);
  try {
    replace_file(file, bytes.str());
  } catch (const Error& e) {
    throw Error(e.message(), node);
  }
}

}  // namespace ganflow
