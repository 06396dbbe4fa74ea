#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "ganflow/framework/graph/graph.hpp"

namespace ganflow {

namespace {
std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (std::size_t i = 0; i < lines.size(); ++i) s += (i ? "\n" : "") + lines[i];
  return s;
}

// Tracks the JSON pointer while parsing so duplicate keys (which JSON objects would
// silently collapse, e.g. two nodes with one name) are reported where they are.
struct DuplicateKeyFinder {
  struct Frame {
    bool array = false;
    long idx = -1;
    std::string key;
    std::set<std::string> keys;
  };
  std::vector<Frame> frames;
  std::vector<std::string> errors;

  std::string pointer() const {
    std::string p;
    for (std::size_t i = 0; i + 1 < frames.size(); ++i)
      p += "/" + (frames[i].array ? std::to_string(frames[i].idx) : frames[i].key);
    return p;
  }
  void count_value() {
    if (!frames.empty() && frames.back().array) ++frames.back().idx;
  }
  bool operator()(int, json::parse_event_t ev, json& parsed) {
    using E = json::parse_event_t;
    switch (ev) {
      case E::object_start: count_value(); frames.push_back({}); break;
      case E::array_start: count_value(); frames.push_back({true}); break;
      case E::object_end:
      case E::array_end: if (!frames.empty()) frames.pop_back(); break;
      case E::key: {
        auto& top = frames.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second) errors.push_back(pointer() + "/" + top.key + ": duplicate key");
        break;
      }
      case E::value: count_value(); break;
    }
    return true;
  }
};

const std::regex& node_name_pattern() {
  static const std::regex r("[A-Za-z_][A-Za-z0-9_]*");
  return r;
}
}  // namespace

GraphError::GraphError(std::vector<std::string> lines) : Error(join_lines(lines)), lines_(std::move(lines)) {}

GraphNode* Graph::find(const std::string& name) {
  for (auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}
const GraphNode* Graph::find(const std::string& name) const { return const_cast<Graph*>(this)->find(name); }

json Graph::to_json() const {
  json j = {{"name", name}, {"seed", seed}, {"deterministic", deterministic}, {"threads", threads},
            {"device", device}, {"dist_timeout_s", dist_timeout_s}, {"nodes", json::object()}};
  if (!doc.empty()) j["doc"] = doc;
  for (auto& n : nodes) {
    json inputs = json::object();
    for (auto& [port, names] : n.inputs)
      inputs[port] = n.input_is_list(port) ? json(names) : json(names.front());
    json node = {{"type", n.type}, {"params", n.params}};
    if (!inputs.empty()) node["inputs"] = inputs;
    if (!n.doc.empty()) node["doc"] = n.doc;
    j["nodes"][n.name] = node;
  }
  return j;
}

Graph parse_graph(const std::string& text, const std::string& file) {
  std::string where = file.empty() ? "<graph>" : file;
  DuplicateKeyFinder dups;
  json root;
  try {
    root = json::parse(text, std::ref(dups));
  } catch (const json::parse_error& e) {
    std::string msg = e.what();
    std::smatch m;
    if (std::regex_search(msg, m, std::regex("at line (\\d+), column (\\d+): (.*)")))
      throw GraphError({where + ":" + m[1].str() + ":" + m[2].str() + ": malformed JSON: " + m[3].str()});
    throw GraphError({where + ": malformed JSON: " + msg});
  }
  if (!dups.errors.empty()) throw GraphError(dups.errors);

  std::vector<std::string> errors;
  Graph g;
  g.file = file;
  if (!root.is_object()) throw GraphError({"/: a graph must be a JSON object with \"nodes\""});
  static const std::set<std::string> top_keys = {"name", "doc", "seed", "deterministic", "threads", "device", "dist_timeout_s", "nodes"};
  for (auto it = root.begin(); it != root.end(); ++it)
    if (!top_keys.count(it.key())) errors.push_back("/" + it.key() + ": unknown top-level key");
  auto take = [&](const char* key, auto check, const char* expected, auto assign) {
    if (!root.contains(key)) return;
    if (!check(root[key])) errors.push_back(std::string("/") + key + ": expected " + expected + ", got " + root[key].dump());
    else assign(root[key]);
  };
  take("name", [](const json& v) { return v.is_string(); }, "string", [&](const json& v) { g.name = v; });
  take("doc", [](const json& v) { return v.is_string(); }, "string", [&](const json& v) { g.doc = v; });
  take("seed", [](const json& v) { return v.is_number_unsigned(); }, "integer >= 0", [&](const json& v) { g.seed = v; });
  take("deterministic", [](const json& v) { return v.is_boolean(); }, "bool", [&](const json& v) { g.deterministic = v; });
  take("threads", [](const json& v) { return v.is_number_unsigned(); }, "integer >= 0", [&](const json& v) { g.threads = v; });
  take("device", [](const json& v) { return v.is_string(); }, "string", [&](const json& v) { g.device = v; });
  take("dist_timeout_s", [](const json& v) { return v.is_number_unsigned() && v.get<uint64_t>() >= 1 && v.get<uint64_t>() <= 86400; },
       "integer in [1, 86400]", [&](const json& v) { g.dist_timeout_s = v; });

  if (!root.contains("nodes") || !root["nodes"].is_object() || root["nodes"].empty()) {
    errors.push_back("/nodes: expected a non-empty object of named nodes");
    throw GraphError(errors);
  }
  for (auto it = root["nodes"].begin(); it != root["nodes"].end(); ++it) {
    std::string ptr = "/nodes/" + it.key();
    const json& n = it.value();
    GraphNode node;
    node.name = it.key();
    if (!std::regex_match(node.name, node_name_pattern()))
      errors.push_back(ptr + ": node names are identifiers ([A-Za-z_][A-Za-z0-9_]*)");
    if (!n.is_object()) {
      errors.push_back(ptr + ": expected an object with \"type\"");
      continue;
    }
    for (auto k = n.begin(); k != n.end(); ++k)
      if (k.key() != "type" && k.key() != "params" && k.key() != "inputs" && k.key() != "doc")
        errors.push_back(ptr + "/" + k.key() + ": unknown key (a node has type, params, inputs, doc)");
    if (n.contains("doc")) {
      if (!n["doc"].is_string()) errors.push_back(ptr + "/doc: expected a string, got " + n["doc"].dump());
      else node.doc = n["doc"];
    }
    if (!n.contains("type") || !n["type"].is_string()) errors.push_back(ptr + "/type: required, a plugin type name");
    else node.type = n["type"];
    if (n.contains("params")) {
      if (!n["params"].is_object()) errors.push_back(ptr + "/params: expected an object");
      else node.params = n["params"];
    }
    if (n.contains("inputs")) {
      if (!n["inputs"].is_object()) errors.push_back(ptr + "/inputs: expected an object of port: node");
      else
        for (auto p = n["inputs"].begin(); p != n["inputs"].end(); ++p) {
          std::string pptr = ptr + "/inputs/" + p.key();
          if (p.value().is_string()) node.inputs[p.key()] = {p.value().get<std::string>()};
          else if (p.value().is_array()) {
            node.list_ports[p.key()] = true;
            auto& names = node.inputs[p.key()];
            for (auto& v : p.value()) {
              if (v.is_string()) names.push_back(v);
              else errors.push_back(pptr + ": expected node names, got " + v.dump());
            }
          } else errors.push_back(pptr + ": expected a node name or a list of them, got " + p.value().dump());
        }
    }
    g.nodes.push_back(std::move(node));
  }
  if (!errors.empty()) throw GraphError(errors);
  return g;
}

Graph load_graph(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw GraphError({path + ": cannot read graph file"});
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_graph(ss.str(), path);
}

}  // namespace ganflow
