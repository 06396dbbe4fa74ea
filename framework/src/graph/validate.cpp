#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

#include "ganflow/framework/graph/suggest.hpp"
#include "ganflow/framework/graph/validate.hpp"

namespace ganflow {

namespace {
std::string join_roles(const std::vector<std::string>& roles) {
  std::string s;
  for (std::size_t i = 0; i < roles.size(); ++i) s += (i ? " or " : "") + roles[i];
  return s;
}

std::string kinds_text(const std::vector<NodeKind>& kinds) {
  std::string s;
  for (std::size_t i = 0; i < kinds.size(); ++i) s += (i ? ", " : "") + std::string(to_string(kinds[i]));
  return kinds.size() == 1 ? s : "one of {" + s + "}";
}

// Class-conditional wiring: the nodes a stage reaches through its inputs (not through other
// stages) that declare a class count must all have the same one, or the labels would index
// past an embedding, or a conditional model would be fed none.
void check_class_counts(const Graph& g, const HostRegistry& registry, std::vector<std::string>& errors) {
  for (auto& stage : g.nodes) {
    if (registry.at(stage.type).kind != NodeKind::Stage) continue;
    std::vector<std::string> todo, seen, counts;
    std::set<int64_t> values;
    for (auto& [port, targets] : stage.inputs) todo.insert(todo.end(), targets.begin(), targets.end());
    while (!todo.empty()) {
      const GraphNode* n = g.find(todo.back());
      todo.pop_back();
      if (std::find(seen.begin(), seen.end(), n->name) != seen.end()) continue;
      seen.push_back(n->name);
      const NodeSpec& spec = registry.at(n->type);
      if (spec.kind == NodeKind::Stage) continue;
      if (!spec.classes_param.empty()) {
        const int64_t k = n->params.at(spec.classes_param).get<int64_t>();
        values.insert(k);
        counts.push_back("/nodes/" + n->name + "/params/" + spec.classes_param + " = " + std::to_string(k));
      }
      for (auto& [port, targets] : n->inputs) todo.insert(todo.end(), targets.begin(), targets.end());
    }
    if (values.size() > 1) {
      std::string list;
      for (auto& c : counts) list += (list.empty() ? "" : ", ") + c;
      errors.push_back("/nodes/" + stage.name + ": its class-conditional nodes disagree on the number of classes (" +
                       list + "); give them all the same n_classes");
    }
  }
}

// The whole of `text` as a decimal integer in [lo, hi]; nullopt for anything else ("abc", "-1",
// "3x", out of range).
std::optional<unsigned long long> whole_integer(const std::string& text, unsigned long long lo, unsigned long long hi) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0' || v < lo || v > hi) return std::nullopt;
  return v;
}

}  // namespace

void apply_overrides(Graph& g, const std::vector<std::string>& sets, const HostRegistry& registry) {
  std::vector<std::string> errors;
  for (auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors.push_back("--set " + s + ": expected node.param=value");
      continue;
    }
    std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    auto dot = key.find('.');
    if (dot == std::string::npos) {
      if (key == "seed") {
        if (auto v = whole_integer(value, 0, std::numeric_limits<uint64_t>::max())) g.seed = *v;
        else errors.push_back("--set " + s + ": seed must be an integer >= 0");
      } else if (key == "threads") {
        if (auto v = whole_integer(value, 0, std::numeric_limits<int>::max())) g.threads = int(*v);
        else errors.push_back("--set " + s + ": threads must be an integer >= 0 (0: all cores)");
      } else if (key == "device") g.device = value;
      else if (key == "deterministic") {
        if (value == "true" || value == "1") g.deterministic = true;
        else if (value == "false" || value == "0") g.deterministic = false;
        else errors.push_back("--set " + s + ": deterministic must be true or false");
      } else if (key == "name") g.name = value;
      else if (key == "dist_timeout_s") {
        if (auto v = whole_integer(value, 1, 86400)) g.dist_timeout_s = int(*v);
        else errors.push_back("--set " + s + ": dist_timeout_s must be an integer in [1, 86400]");
      }
      else errors.push_back("--set " + s + ": unknown top-level key '" + key +
                            "' (seed, threads, device, deterministic, name, dist_timeout_s)");
      continue;
    }
    std::string node_name = key.substr(0, dot), param = key.substr(dot + 1);
    GraphNode* node = g.find(node_name);
    if (!node) {
      errors.push_back("--set " + s + ": no node named '" + node_name + "'");
      continue;
    }
    if (param == "type") {  // swap the node's type; its params start from the new type's defaults
      node->type = value;
      node->params = json::object();
      continue;
    }
    const NodeSpec* spec = registry.find(node->type);
    if (!spec) {
      errors.push_back("--set " + s + ": node '" + node_name + "' has unknown type '" + node->type + "'");
      continue;
    }
    const ParamSpec* p = spec->find_param(param);
    if (!p) {
      errors.push_back("--set " + s + ": " + node->type + " has no param '" + param + "'");
      continue;
    }
    node->params[param] = p->parse_text(value);
  }
  if (!errors.empty()) throw GraphError(errors);
}

void validate_graph(Graph& g, const HostRegistry& registry) {
  std::vector<std::string> errors;
  for (auto& n : g.nodes) {
    std::string ptr = "/nodes/" + n.name;
    const NodeSpec* spec = registry.find(n.type);
    if (!spec) {
      errors.push_back(ptr + "/type: " + registry.unknown_type_message(n.type));
      continue;
    }
    std::vector<std::string> names;
    for (auto& p : spec->params) names.push_back(p.name);
    for (auto it = n.params.begin(); it != n.params.end(); ++it) {
      const ParamSpec* p = spec->find_param(it.key());
      if (!p) {
        std::string hint = closest_name(it.key(), names);
        errors.push_back(ptr + "/params/" + it.key() + ": unknown param of " + n.type +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      } else {
        p->check(it.value(), ptr + "/params/" + it.key(), errors);
      }
    }
    for (auto& p : spec->params)
      if (p.required() && !n.params.contains(p.name))
        errors.push_back(ptr + "/params/" + p.name + ": required param missing (" + p.type_text() + ")");

    std::vector<std::string> ports;
    for (auto& in : spec->inputs) ports.push_back(in.name);
    for (auto& [port, targets] : n.inputs) {
      std::string pptr = ptr + "/inputs/" + port;
      const PortSpec* in = spec->find_input(port);
      if (!in) {
        std::string hint = closest_name(port, ports);
        errors.push_back(pptr + ": " + n.type + " has no input '" + port + "'" +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        continue;
      }
      if (!in->multiple && targets.size() != 1)
        errors.push_back(pptr + ": takes exactly one node, got " + std::to_string(targets.size()));
      for (auto& t : targets) {
        const GraphNode* target = g.find(t);
        if (!target) {
          errors.push_back(pptr + ": no node named '" + t + "'");
          continue;
        }
        if (t == n.name) {
          errors.push_back(pptr + ": a node cannot take itself as input");
          continue;
        }
        const NodeSpec* tspec = registry.find(target->type);
        if (!tspec) continue;  // reported at the target
        if (std::find(in->kinds.begin(), in->kinds.end(), tspec->kind) == in->kinds.end())
          errors.push_back(pptr + ": node '" + t + "' is a " + to_string(tspec->kind) + " (" + target->type +
                           "), expected " + kinds_text(in->kinds));
        else if (!in->roles.empty() && !tspec->role.empty() &&
                 std::find(in->roles.begin(), in->roles.end(), tspec->role) == in->roles.end())
          errors.push_back(pptr + ": node '" + t + "' is a " + tspec->role + " (" + target->type + "); this port takes a " +
                           join_roles(in->roles));
      }
    }
    for (auto& in : spec->inputs)
      if (in.required && !n.inputs.count(in.name))
        errors.push_back(ptr + "/inputs/" + in.name + ": required input missing (" + kinds_text(in.kinds) + ")");
  }
  if (errors.empty()) {
    try {
      build_order(g);
    } catch (const GraphError& e) {
      errors.insert(errors.end(), e.lines().begin(), e.lines().end());
    }
  }
  if (!errors.empty()) throw GraphError(errors);

  for (auto& n : g.nodes) {
    const NodeSpec& spec = registry.at(n.type);
    for (auto& p : spec.params) n.params[p.name] = p.resolve(n.params.contains(p.name) ? n.params[p.name] : p.default_value);
    if (auto* resolve = registry.resolver(n.type))
      for (auto& problem : (*resolve)(n.params)) errors.push_back("/nodes/" + n.name + "/params/" + problem);
  }
  if (errors.empty()) check_class_counts(g, registry, errors);
  if (!errors.empty()) throw GraphError(errors);
}

std::vector<std::string> build_order(const Graph& g) {
  std::map<std::string, std::set<std::string>> deps;  // node -> inputs not yet placed
  for (auto& n : g.nodes) {
    auto& d = deps[n.name];
    for (auto& [port, targets] : n.inputs)
      for (auto& t : targets)
        if (g.find(t) && t != n.name) d.insert(t);
  }
  std::vector<std::string> order;
  while (!deps.empty()) {
    auto ready = std::find_if(deps.begin(), deps.end(), [](auto& kv) { return kv.second.empty(); });
    if (ready == deps.end()) {
      // Walk from any remaining node along unplaced inputs until a node repeats: that is a cycle.
      std::vector<std::string> path{deps.begin()->first};
      while (true) {
        std::string next = *deps[path.back()].begin();
        auto seen = std::find(path.begin(), path.end(), next);
        if (seen != path.end()) {
          std::string text;
          for (auto it = seen; it != path.end(); ++it) text += *it + " -> ";
          throw GraphError({"/nodes: cycle: " + text + next});
        }
        path.push_back(next);
      }
    }
    std::string name = ready->first;
    order.push_back(name);
    deps.erase(ready);
    for (auto& [n, d] : deps) d.erase(name);
  }
  return order;
}

}  // namespace ganflow
