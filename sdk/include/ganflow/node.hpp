#pragma once
// Node kinds, typed input ports, the declaration of a plugin type (NodeSpec) and the
// base of every object a plugin makes (Node).
#include "ganflow/export.hpp"
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ganflow/error.hpp"
#include "ganflow/params.hpp"

namespace ganflow {

enum class NodeKind {
  Source,    // ItemSource: decodes items into uint8 slots
  Noise,     // NoiseSource: generator input made on the device
  Data,      // DataSource: (x, y) batches for a stage
  Model,     // Model: a torch module
  Loss,      // Loss: (output, target)
  GenLoss,   // GenLoss: the generator's side of a CriticBatch
  CritLoss,  // CritLoss: real/fake predictions, images and the critic
  Callback,  // Callback (switchers are callbacks)
  Metric,    // Metric
  Stage,     // Stage: runs (learner fit, GAN fit, generate, evaluate)
};
GANFLOW_API const char* to_string(NodeKind k);

struct PortSpec {
  std::string name;
  std::vector<NodeKind> kinds;  // accepted kinds of the connected node(s)
  std::string doc;
  bool required = true;
  bool multiple = false;        // takes a list of nodes
  std::vector<std::string> roles;  // accepted roles of the connected node(s); empty: any
};

class GANFLOW_API Node {
 public:
  virtual ~Node();
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

 private:
  std::string name_;
};

// What a node factory sees: its resolved params and its already-built inputs.
class GANFLOW_API BuildContext {
 public:
  virtual ~BuildContext();
  virtual const std::string& node_name() const = 0;
  virtual const Params& params() const = 0;
  virtual std::vector<std::shared_ptr<Node>> inputs(const std::string& port) const = 0;
  virtual uint64_t seed() const = 0;  // graph seed mixed with the node name
  // The run folder ("" when the graph is only being built, e.g. by `ganflow generate`).
  // Nodes are built just before first use, after the stages they depend on have run, so a
  // node may read what an earlier stage wrote there.
  virtual std::string run_dir() const { return ""; }
  // A path param: "run:<sub>" names <run folder>/<sub> (files an earlier stage wrote);
  // anything else is returned as is. "run:" without a run folder is an Error on `param`.
  std::string run_path(const std::string& value, const std::string& param) const;

  // The single node on `port` (nullptr if optional and absent), as T.
  template <class T> std::shared_ptr<T> input(const std::string& port) const {
    auto nodes = inputs(port);
    if (nodes.empty()) return nullptr;
    auto t = std::dynamic_pointer_cast<T>(nodes.front());
    if (!t) throw Error("input '" + port + "' is not of the expected interface", node_name());
    return t;
  }
  template <class T> std::vector<std::shared_ptr<T>> input_list(const std::string& port) const {
    std::vector<std::shared_ptr<T>> out;
    for (auto& n : inputs(port)) {
      auto t = std::dynamic_pointer_cast<T>(n);
      if (!t) throw Error("input '" + port + "' is not of the expected interface", node_name());
      out.push_back(std::move(t));
    }
    return out;
  }
};

using NodeFactory = std::function<std::shared_ptr<Node>(const BuildContext&)>;

// Everything a plugin type declares, in one place: drives validation, `describe` and docs.
struct GANFLOW_API NodeSpec {
  std::string type;
  NodeKind kind = NodeKind::Model;
  std::string doc;
  // What the node is for, where it can say: "generator", "critic", "classifier". Validation
  // refuses it on a port that names other roles; "" (the default) fits every port of its kind.
  std::string role;
  // The int param that holds the number of classes the node is conditioned on (0: none), for
  // class-conditional nodes; validation checks that the nodes wired into one stage agree.
  std::string classes_param;
  std::vector<ParamSpec> params;
  std::vector<PortSpec> inputs;
  NodeFactory factory;
  std::string library;  // filled in by the host: the file that registered it

  NodeSpec(std::string type_, NodeKind kind_, std::string doc_)
      : type(std::move(type_)), kind(kind_), doc(std::move(doc_)) {}

  ParamSpec& param(std::string name, ParamType type, json default_value, std::string doc);
  ParamSpec& param_bool(std::string name, bool def, std::string doc);
  ParamSpec& param_int(std::string name, int64_t def, std::string doc);
  ParamSpec& param_float(std::string name, double def, std::string doc);
  ParamSpec& param_string(std::string name, std::string def, std::string doc);
  ParamSpec& param_enum(std::string name, std::vector<std::string> choices, std::string def,
                        std::string doc);
  ParamSpec& param_list(std::string name, ParamType element, json def, std::string doc);
  NodeSpec& input(std::string name, std::vector<NodeKind> kinds, std::string doc,
                  bool required = true, bool multiple = false);
  // Restricts an input declared above to nodes of these roles (or of none); throws for an
  // undeclared port.
  NodeSpec& input_roles(const std::string& port, std::vector<std::string> roles);
  const ParamSpec* find_param(const std::string& name) const;
  const PortSpec* find_input(const std::string& name) const;
  json describe() const;
};

// Filled by plugins from their registration entry point; implemented by the host.
class GANFLOW_API Registry {
 public:
  virtual ~Registry();
  virtual void add(NodeSpec spec) = 0;
};

}  // namespace ganflow
