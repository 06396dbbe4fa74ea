#pragma once
// The host's registry of plugin types, filled by built-ins and by plugin libraries.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ganflow/node.hpp"

namespace ganflow {

class HostRegistry : public Registry {
 public:
  // Types registered from now on are attributed to `library` (a file path or "builtin").
  void set_current_library(std::string library) { current_library_ = std::move(library); }
  void add(NodeSpec spec) override;  // a second registration of one name throws, naming both files

  // A built-in type's params that default to others (a GAN stage's lr_gen to its lr): called
  // with the node's params once every default is filled in; it fills in the derived values, so
  // the saved graph.json shows what ran, and returns problems as "param: message" lines.
  using ParamResolver = std::function<std::vector<std::string>(json& params)>;
  void add_resolver(const std::string& type, ParamResolver fn) { resolvers_[type] = std::move(fn); }
  const ParamResolver* resolver(const std::string& type) const {
    auto it = resolvers_.find(type);
    return it == resolvers_.end() ? nullptr : &it->second;
  }

  const NodeSpec* find(const std::string& type) const;
  const NodeSpec& at(const std::string& type) const;  // throws Error(unknown_type_message)
  std::vector<const NodeSpec*> all() const;
  // "unknown plugin type 'x'", a did-you-mean, the folders searched and the refused libraries.
  std::string unknown_type_message(const std::string& type) const;

  // Libraries (canonical paths) already registered here: loading one twice is a no-op.
  bool has_library(const std::string& path) const { return libraries_.count(path) > 0; }
  void mark_library(const std::string& path) { libraries_.insert(path); }
  // Drops every type `library` registered (its registration failed part way).
  void forget_library(const std::string& library);

  // The plugin folders looked in and the libraries refused there (each reason names the
  // file): both go into the unknown-type message.
  void note_searched(const std::string& dir, bool exists) { searched_.push_back({dir, exists}); }
  void note_refused(std::string reason) { refused_.push_back(std::move(reason)); }
  const std::vector<std::string>& refused() const { return refused_; }

 private:
  std::map<std::string, NodeSpec> specs_;
  std::map<std::string, ParamResolver> resolvers_;
  std::set<std::string> libraries_;
  std::vector<std::pair<std::string, bool>> searched_;
  std::vector<std::string> refused_;
  std::string current_library_ = "builtin";
};

}  // namespace ganflow
