#pragma once
// The host's registry of plugin types, filled by built-ins and by plugin libraries.
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

  const NodeSpec* find(const std::string& type) const;
  const NodeSpec& at(const std::string& type) const;  // throws Error with a did-you-mean
  std::vector<const NodeSpec*> all() const;
  std::string did_you_mean(const std::string& type) const;  // "" when nothing is close

  // Libraries (canonical paths) already registered here: loading one twice is a no-op.
  bool has_library(const std::string& path) const { return libraries_.count(path) > 0; }
  void mark_library(const std::string& path) { libraries_.insert(path); }

  // The plugin folders looked in, for the unknown-type message: "" when none.
  void note_searched(const std::string& dir, bool exists) { searched_.push_back({dir, exists}); }
  std::string searched_text() const;

 private:
  std::map<std::string, NodeSpec> specs_;
  std::set<std::string> libraries_;
  std::vector<std::pair<std::string, bool>> searched_;
  std::string current_library_ = "builtin";
};

}  // namespace ganflow
