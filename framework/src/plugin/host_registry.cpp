#include "ganflow/framework/plugin/host_registry.hpp"

#include "ganflow/framework/graph/suggest.hpp"

namespace ganflow {

void HostRegistry::add(NodeSpec spec) {
  if (spec.type.empty()) throw Error("a plugin type with an empty name, registered by " + current_library_);
  if (!spec.factory) throw Error("plugin type '" + spec.type + "' has no factory (" + current_library_ + ")");
  auto it = specs_.find(spec.type);
  if (it != specs_.end())
    throw Error("plugin type '" + spec.type + "' is registered twice: by " + it->second.library + " and by " +
                current_library_);
  spec.library = current_library_;
  std::string type = spec.type;
  specs_.emplace(std::move(type), std::move(spec));
}

const NodeSpec* HostRegistry::find(const std::string& type) const {
  auto it = specs_.find(type);
  return it == specs_.end() ? nullptr : &it->second;
}

const NodeSpec& HostRegistry::at(const std::string& type) const {
  if (auto* s = find(type)) return *s;
  throw Error(unknown_type_message(type));
}

void HostRegistry::forget_library(const std::string& library) {
  for (auto it = specs_.begin(); it != specs_.end();) it = it->second.library == library ? specs_.erase(it) : std::next(it);
}

std::string HostRegistry::unknown_type_message(const std::string& type) const {
  std::vector<std::string> names;
  for (auto& [name, spec] : specs_) names.push_back(name);
  std::string hint = closest_name(type, names);
  std::string text = "unknown plugin type '" + type + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)");
  if (!searched_.empty()) {
    text += "; plugin folders searched (GANFLOW_PLUGIN_PATH, then the installed ones): ";
    for (std::size_t i = 0; i < searched_.size(); ++i)
      text += (i ? ", " : "") + searched_[i].first + (searched_[i].second ? "" : " (missing)");
  }
  for (auto& r : refused_) text += "; refused plugin library " + r;
  return text;
}

std::vector<const NodeSpec*> HostRegistry::all() const {
  std::vector<const NodeSpec*> out;
  for (auto& [name, spec] : specs_) out.push_back(&spec);
  return out;
}

}  // namespace ganflow
