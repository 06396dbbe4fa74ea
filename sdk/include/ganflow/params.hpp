#pragma once
// Typed parameters: what a plugin type declares (ParamSpec) and what it reads (Params).
// Graph validation checks every value against its ParamSpec before any node is built,
// so the typed getters below only fail on a programming error in the plugin.
#include "ganflow/export.hpp"
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ganflow {

using json = nlohmann::json;

enum class ParamType { Bool, Int, Float, String, List, Enum, Object };
GANFLOW_API const char* to_string(ParamType t);

struct GANFLOW_API ParamSpec {
  std::string name;
  ParamType type = ParamType::Int;
  json default_value;             // null: required
  std::string doc;
  std::optional<double> min, max; // numeric range (inclusive); for List: length
  std::vector<std::string> choices;          // Enum only; a "true"/"false" choice also takes the JSON bool
  std::shared_ptr<ParamSpec> element;        // List only: the type of each element
  std::vector<ParamSpec> fields;             // Object only

  bool required() const { return default_value.is_null(); }

  // Chainable setters used in plugin declarations.
  ParamSpec& range(double lo, double hi) { min = lo; max = hi; return *this; }
  ParamSpec& at_least(double lo) { min = lo; return *this; }
  ParamSpec& at_most(double hi) { max = hi; return *this; }
  ParamSpec& length(std::size_t n) { min = double(n); max = double(n); return *this; }
  ParamSpec& field(ParamSpec f) { fields.push_back(std::move(f)); return *this; }

  // Checks `value`, appending "pointer: problem" lines to `errors`.
  void check(const json& value, const std::string& pointer, std::vector<std::string>& errors) const;
  // Parses a command-line string (--set) into a value of this type.
  json parse_text(const std::string& text) const;
  // Fills defaults of nested object fields.
  json resolve(const json& value) const;
  json describe() const;
  std::string type_text() const;
};

// Resolved parameters of one node (every default filled in, every value checked).
class GANFLOW_API Params {
 public:
  Params() = default;
  Params(std::string node, json values) : node_(std::move(node)), values_(std::move(values)) {}

  bool b(const std::string& key) const;
  int64_t i(const std::string& key) const;
  double f(const std::string& key) const;
  std::string s(const std::string& key) const;
  std::vector<int64_t> ints(const std::string& key) const;
  std::vector<double> floats(const std::string& key) const;
  std::vector<std::string> strings(const std::string& key) const;
  const json& raw(const std::string& key) const;
  const json& all() const { return values_; }
  const std::string& node() const { return node_; }

 private:
  template <class T> T get(const std::string& key) const;
  std::string node_;
  json values_ = json::object();
};

}  // namespace ganflow
