#include "ganflow/params.hpp"

#include <cmath>
#include <sstream>

#include "ganflow/error.hpp"

namespace ganflow {

const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "integer";
    case ParamType::Float: return "float";
    case ParamType::String: return "string";
    case ParamType::List: return "list";
    case ParamType::Enum: return "enum";
    case ParamType::Object: return "object";
  }
  return "?";
}

namespace {
std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
std::string range_text(const std::optional<double>& lo, const std::optional<double>& hi) {
  if (lo && hi) return " in [" + num(*lo) + ", " + num(*hi) + "]";
  if (lo) return " >= " + num(*lo);
  if (hi) return " <= " + num(*hi);
  return "";
}
}  // namespace

std::string ParamSpec::type_text() const {
  switch (type) {
    case ParamType::Int:
    case ParamType::Float: return std::string(to_string(type)) + range_text(min, max);
    case ParamType::Enum: {
      std::string s = "one of {";
      for (std::size_t i = 0; i < choices.size(); ++i) s += (i ? ", " : "") + choices[i];
      return s + "}";
    }
    case ParamType::List: {
      std::string s = "list of " + (element ? element->type_text() : std::string("any"));
      if (min && max && *min == *max) return s + " (length " + num(*min) + ")";
      if (min || max) s += " (length" + range_text(min, max) + ")";
      return s;
    }
    default: return to_string(type);
  }
}

void ParamSpec::check(const json& v, const std::string& ptr, std::vector<std::string>& errors) const {
  auto fail = [&] { errors.push_back(ptr + ": expected " + type_text() + ", got " + v.dump()); };
  switch (type) {
    case ParamType::Bool:
      if (!v.is_boolean()) fail();
      return;
    case ParamType::Int:
      if (!v.is_number_integer()) return fail();
      if ((min && v.get<double>() < *min) || (max && v.get<double>() > *max)) fail();
      return;
    case ParamType::Float:
      if (!v.is_number() || !std::isfinite(v.get<double>())) return fail();
      if ((min && v.get<double>() < *min) || (max && v.get<double>() > *max)) fail();
      return;
    case ParamType::String:
      if (!v.is_string()) fail();
      return;
    case ParamType::Enum: {
      if (!v.is_string() && !v.is_boolean()) return fail();
      const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      for (auto& c : choices)
        if (c == text) return;
      return fail();
    }
    case ParamType::List: {
      if (!v.is_array()) return fail();
      double n = double(v.size());
      if ((min && n < *min) || (max && n > *max)) return fail();
      if (element)
        for (std::size_t i = 0; i < v.size(); ++i) element->check(v[i], ptr + "/" + std::to_string(i), errors);
      return;
    }
    case ParamType::Object: {
      if (!v.is_object()) return fail();
      for (auto it = v.begin(); it != v.end(); ++it) {
        bool known = false;
        for (auto& f : fields) known |= f.name == it.key();
        if (!known) errors.push_back(ptr + "/" + it.key() + ": unknown field");
      }
      for (auto& f : fields) {
        if (v.contains(f.name)) f.check(v[f.name], ptr + "/" + f.name, errors);
        else if (f.required()) errors.push_back(ptr + "/" + f.name + ": required field missing");
      }
      return;
    }
  }
}

json ParamSpec::parse_text(const std::string& text) const {
  try {
    std::size_t used = 0;
    switch (type) {
      case ParamType::Bool:
        if (text == "true" || text == "1") return true;
        if (text == "false" || text == "0") return false;
        break;
      case ParamType::Int: {
        long long x = std::stoll(text, &used);
        if (used == text.size()) return x;
        break;
      }
      case ParamType::Float: {
        double x = std::stod(text, &used);
        if (used == text.size()) return x;
        break;
      }
      case ParamType::String:
      case ParamType::Enum: return text;
      case ParamType::List:
      case ParamType::Object: return json::parse(text);
    }
  } catch (const std::exception&) {
  }
  return text;  // validation then reports "expected <type>, got "<text>""
}

json ParamSpec::resolve(const json& v) const {
  if (type == ParamType::Enum && v.is_boolean()) return v.dump();  // a true/false choice given as a JSON bool
  if (type == ParamType::Object && v.is_object()) {
    json out = v;
    for (auto& f : fields) out[f.name] = f.resolve(v.contains(f.name) ? v[f.name] : f.default_value);
    return out;
  }
  if (type == ParamType::List && v.is_array() && element) {
    json out = json::array();
    for (auto& e : v) out.push_back(element->resolve(e));
    return out;
  }
  return v;
}

json ParamSpec::describe() const {
  json d = {{"name", name}, {"type", to_string(type)}, {"doc", doc}, {"required", required()},
            {"accepts", type_text()}};
  if (!required()) d["default"] = default_value;
  if (min) d["min"] = *min;
  if (max) d["max"] = *max;
  if (!choices.empty()) d["choices"] = choices;
  if (element) d["element"] = element->describe();
  if (!fields.empty()) {
    d["fields"] = json::array();
    for (auto& f : fields) d["fields"].push_back(f.describe());
  }
  return d;
}

const json& Params::raw(const std::string& key) const {
  if (!values_.contains(key)) throw Error("param not declared by the plugin", node_, key);
  return values_[key];
}

template <class T> T Params::get(const std::string& key) const {
  try {
    return raw(key).get<T>();
  } catch (const json::exception& e) {
    throw Error(std::string("wrong type: ") + e.what(), node_, key);
  }
}

bool Params::b(const std::string& key) const { return get<bool>(key); }
int64_t Params::i(const std::string& key) const { return get<int64_t>(key); }
double Params::f(const std::string& key) const { return get<double>(key); }
std::string Params::s(const std::string& key) const { return get<std::string>(key); }
std::vector<int64_t> Params::ints(const std::string& key) const { return get<std::vector<int64_t>>(key); }
std::vector<double> Params::floats(const std::string& key) const { return get<std::vector<double>>(key); }
std::vector<std::string> Params::strings(const std::string& key) const {
  return get<std::vector<std::string>>(key);
}

}  // namespace ganflow
