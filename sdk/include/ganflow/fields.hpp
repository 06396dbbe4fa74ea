#pragma once
// Each parameter declared once. One call declares a param on a NodeSpec (name, type, default,
// doc; the returned ParamSpec takes the range) and binds it to the settings field that
// receives it; the factory then reads every bound param at once:
//
//   struct Settings { int64_t n = 0; bool show = false; };
//   Fields<Settings> fields(spec);
//   fields.add("n", &Settings::n, 64, "Images per grid.").range(1, 1024);
//   fields.add("show", &Settings::show, true, "Write the grid.");
//   spec.factory = [fields](const BuildContext& c) { Settings s = fields.read(c); ... };
//
// Declare while the spec is being built (a Fields keeps a pointer to it); read from the
// factory (a copy of the Fields, holding only the readers, travels with it). Path params
// (add_path) take "run:<sub>"; read(BuildContext) resolves them against the run folder.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ganflow/node.hpp"

namespace ganflow {

template <class S>
class Fields {
 public:
  using Reader = std::function<void(const Params&, const std::string& name, S&)>;

  explicit Fields(NodeSpec& spec) : spec_(&spec) {}

  ParamSpec& add(const std::string& name, bool S::*field, bool def, const std::string& doc) {
    return bind(spec_->param_bool(name, def, doc), [field](const Params& p, const std::string& n, S& s) { s.*field = p.b(n); });
  }
  ParamSpec& add(const std::string& name, int64_t S::*field, int64_t def, const std::string& doc) {
    return bind(spec_->param_int(name, def, doc), [field](const Params& p, const std::string& n, S& s) { s.*field = p.i(n); });
  }
  ParamSpec& add(const std::string& name, int S::*field, int def, const std::string& doc) {
    return bind(spec_->param_int(name, def, doc), [field](const Params& p, const std::string& n, S& s) { s.*field = int(p.i(n)); });
  }
  ParamSpec& add(const std::string& name, double S::*field, double def, const std::string& doc) {
    return bind(spec_->param_float(name, def, doc), [field](const Params& p, const std::string& n, S& s) { s.*field = p.f(n); });
  }
  ParamSpec& add(const std::string& name, std::string S::*field, const std::string& def, const std::string& doc) {
    return bind(spec_->param_string(name, def, doc), [field](const Params& p, const std::string& n, S& s) { s.*field = p.s(n); });
  }
  ParamSpec& add_enum(const std::string& name, std::string S::*field, std::vector<std::string> choices,
                      const std::string& def, const std::string& doc) {
    return bind(spec_->param_enum(name, std::move(choices), def, doc),
                [field](const Params& p, const std::string& n, S& s) { s.*field = p.s(n); });
  }
  // An enum param stored as the value its choice names.
  template <class E>
  ParamSpec& add_enum(const std::string& name, E S::*field, std::vector<std::pair<std::string, E>> choices,
                      const std::string& def, const std::string& doc) {
    std::vector<std::string> names;
    for (const auto& c : choices) names.push_back(c.first);
    return bind(spec_->param_enum(name, std::move(names), def, doc),
                [field, choices](const Params& p, const std::string& n, S& s) {
                  std::string v = p.s(n);
                  for (const auto& c : choices)
                    if (c.first == v) s.*field = c.second;
                });
  }
  // A file or folder: "run:<sub>" names <run folder>/<sub> once read(BuildContext) resolves it.
  // Without a default (std::nullopt) the param is required.
  ParamSpec& add_path(const std::string& name, std::string S::*field, std::optional<std::string> def,
                      const std::string& doc) {
    paths_.push_back({name, field});
    return bind(spec_->param(name, ParamType::String, def ? json(*def) : json(nullptr), doc),
                [field](const Params& p, const std::string& n, S& s) { s.*field = p.s(n); });
  }
  ParamSpec& add_list(const std::string& name, std::vector<double> S::*field, std::vector<double> def,
                      const std::string& doc) {
    return bind(spec_->param_list(name, ParamType::Float, json(def), doc),
                [field](const Params& p, const std::string& n, S& s) { s.*field = p.floats(n); });
  }
  ParamSpec& add_list(const std::string& name, std::vector<int64_t> S::*field, std::vector<int64_t> def,
                      const std::string& doc) {
    return bind(spec_->param_list(name, ParamType::Int, json(def), doc),
                [field](const Params& p, const std::string& n, S& s) { s.*field = p.ints(n); });
  }
  ParamSpec& add_list(const std::string& name, std::vector<std::string> S::*field, std::vector<std::string> def,
                      const std::string& doc) {
    return bind(spec_->param_list(name, ParamType::String, json(def), doc),
                [field](const Params& p, const std::string& n, S& s) { s.*field = p.strings(n); });
  }
  // A param whose value is not one field (e.g. a list spread over two): declare it on the spec
  // and give the reader; the name still appears once.
  ParamSpec& bind(ParamSpec& declared, Reader read) {
    readers_.push_back({declared.name, std::move(read)});
    return declared;
  }
  // The fields of a member that has its own Fields (declared on the same spec).
  template <class T>
  void nest(T S::*member, const Fields<T>& inner) {
    readers_.push_back({"", [member, inner](const Params& p, const std::string&, S& s) { inner.read_into(p, s.*member); }});
  }

  void read_into(const Params& p, S& s) const {
    for (const auto& [name, read] : readers_) read(p, name, s);
  }
  S read(const Params& p) const {
    S s{};
    read_into(p, s);
    return s;
  }
  // As read(params), with the path params resolved against the run folder.
  S read(const BuildContext& c) const {
    S s = read(c.params());
    for (const auto& [name, field] : paths_) s.*field = c.run_path(s.*field, name);
    return s;
  }

 private:
  NodeSpec* spec_;
  std::vector<std::pair<std::string, Reader>> readers_;
  std::vector<std::pair<std::string, std::string S::*>> paths_;
};

}  // namespace ganflow
