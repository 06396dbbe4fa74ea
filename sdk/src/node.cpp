#include "ganflow/node.hpp"

#include "ganflow/callback.hpp"
#include "ganflow/data.hpp"
#include "ganflow/item_source.hpp"
#include "ganflow/loss.hpp"
#include "ganflow/metric.hpp"
#include "ganflow/model.hpp"
#include "ganflow/stage.hpp"
#include "ganflow/trained_generator.hpp"

namespace ganflow {

namespace {
const std::vector<std::pair<NodeKind, const char*>>& kind_names() {
  static const std::vector<std::pair<NodeKind, const char*>> names = {
      {NodeKind::Source, "source"},     {NodeKind::Noise, "noise"},       {NodeKind::Data, "data"},
      {NodeKind::Model, "model"},       {NodeKind::Loss, "loss"},         {NodeKind::GenLoss, "gen_loss"},
      {NodeKind::CritLoss, "crit_loss"}, {NodeKind::Callback, "callback"}, {NodeKind::Metric, "metric"},
      {NodeKind::Stage, "stage"}};
  return names;
}
}  // namespace

const char* to_string(NodeKind k) {
  for (auto& [kind, name] : kind_names())
    if (kind == k) return name;
  return "?";
}

// Out-of-line destructors: each interface's typeinfo and vtable live in the SDK library only.
Node::~Node() = default;
BuildContext::~BuildContext() = default;
Registry::~Registry() = default;
ItemSource::~ItemSource() = default;
DataSource::~DataSource() = default;
NoiseSource::~NoiseSource() = default;
Model::~Model() = default;
SequentialModel::~SequentialModel() = default;
Loss::~Loss() = default;
GenLoss::~GenLoss() = default;
CritLoss::~CritLoss() = default;
Trainer::~Trainer() = default;
Callback::~Callback() = default;
Metric::~Metric() = default;

torch::Tensor NoiseSource::sample_labels(int64_t, const torch::Device&) {
  throw Error("draws no class labels (unconditional noise)", name());
}
RunContext::~RunContext() = default;
Stage::~Stage() = default;
TrainedGenerator::~TrainedGenerator() = default;

std::string BuildContext::run_path(const std::string& value, const std::string& param) const {
  if (value.rfind("run:", 0) != 0) return value;
  if (run_dir().empty())
    throw Error("'" + value + "' names a path in the run folder, but there is none here (use ganflow run)", "", param);
  return run_dir() + "/" + value.substr(4);
}

int64_t ItemSource::label(std::size_t) const { return -1; }
std::vector<std::string> ItemSource::classes() const { return {}; }

ParamSpec& NodeSpec::param(std::string name, ParamType t, json def, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = t;
  p.default_value = std::move(def);
  p.doc = std::move(doc);
  params.push_back(std::move(p));
  return params.back();
}
ParamSpec& NodeSpec::param_bool(std::string n, bool def, std::string doc) {
  return param(std::move(n), ParamType::Bool, def, std::move(doc));
}
ParamSpec& NodeSpec::param_int(std::string n, int64_t def, std::string doc) {
  return param(std::move(n), ParamType::Int, def, std::move(doc));
}
ParamSpec& NodeSpec::param_float(std::string n, double def, std::string doc) {
  return param(std::move(n), ParamType::Float, def, std::move(doc));
}
ParamSpec& NodeSpec::param_string(std::string n, std::string def, std::string doc) {
  return param(std::move(n), ParamType::String, std::move(def), std::move(doc));
}
ParamSpec& NodeSpec::param_enum(std::string n, std::vector<std::string> choices, std::string def,
                                std::string doc) {
  auto& p = param(std::move(n), ParamType::Enum, std::move(def), std::move(doc));
  p.choices = std::move(choices);
  return p;
}
ParamSpec& NodeSpec::param_list(std::string n, ParamType element, json def, std::string doc) {
  auto& p = param(std::move(n), ParamType::List, std::move(def), std::move(doc));
  p.element = std::make_shared<ParamSpec>();
  p.element->name = p.name + "[]";
  p.element->type = element;
  return p;
}

NodeSpec& NodeSpec::input(std::string name, std::vector<NodeKind> kinds, std::string doc, bool required,
                          bool multiple) {
  inputs.push_back(PortSpec{std::move(name), std::move(kinds), std::move(doc), required, multiple});
  return *this;
}

NodeSpec& NodeSpec::input_roles(const std::string& port, std::vector<std::string> roles) {
  for (auto& in : inputs)
    if (in.name == port) {
      in.roles = std::move(roles);
      return *this;
    }
  throw Error("input_roles: '" + type + "' declares no input '" + port + "'");
}

const ParamSpec* NodeSpec::find_param(const std::string& name) const {
  for (auto& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

const PortSpec* NodeSpec::find_input(const std::string& name) const {
  for (auto& p : inputs)
    if (p.name == name) return &p;
  return nullptr;
}

json NodeSpec::describe() const {
  json d = {{"type", type}, {"kind", to_string(kind)}, {"doc", doc}, {"library", library},
            {"params", json::array()}, {"inputs", json::array()}};
  if (!role.empty()) d["role"] = role;
  if (!classes_param.empty()) d["classes_param"] = classes_param;
  for (auto& p : params) d["params"].push_back(p.describe());
  for (auto& in : inputs) {
    json kinds = json::array();
    for (auto k : in.kinds) kinds.push_back(to_string(k));
    d["inputs"].push_back({{"name", in.name}, {"kinds", kinds}, {"doc", in.doc},
                           {"required", in.required}, {"multiple", in.multiple}});
    if (!in.roles.empty()) d["inputs"].back()["roles"] = in.roles;
  }
  return d;
}

}  // namespace ganflow
