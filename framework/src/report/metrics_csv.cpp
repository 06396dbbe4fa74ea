#include "ganflow/framework/report/metrics_csv.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include "ganflow/error.hpp"
#include "ganflow/params.hpp"

namespace ganflow {

namespace {
std::string csv_cell(const json& v) {
  if (v.is_null()) return "";
  if (!v.is_string()) return v.dump();
  std::string s = v.get<std::string>();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}
}  // namespace

void write_metrics_csv(const std::string& jsonl, const std::string& csv) {
  std::ifstream in(jsonl);
  std::vector<json> rows;
  std::map<std::pair<std::string, std::string>, std::size_t> row_of;  // (stage, epoch) -> row
  std::set<std::string> columns;
  for (std::string line; std::getline(in, line);) {
    json r = json::parse(line, nullptr, false);
    if (r.is_discarded() || r.value("kind", "") != "epoch") continue;  // a torn last line after a kill
    r.erase("kind");
    auto key = std::make_pair(r.value("stage", ""), r.value("epoch", json()).dump());
    auto [it, fresh] = row_of.emplace(key, rows.size());
    if (fresh) rows.push_back(r);
    else rows[it->second] = r;
    for (auto v = r.begin(); v != r.end(); ++v)
      if (v.key() != "stage" && v.key() != "epoch") columns.insert(v.key());
  }
  std::vector<std::string> header = {"stage", "epoch"};
  header.insert(header.end(), columns.begin(), columns.end());
  std::string tmp = csv + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
    out << "\n";
    for (auto& r : rows) {
      for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_cell(r.value(header[i], json()));
      out << "\n";
    }
    if (!out.flush()) throw Error("cannot write '" + tmp + "' (disk full?)");
  }
  if (std::rename(tmp.c_str(), csv.c_str()) != 0) throw Error("cannot replace '" + csv + "'");
}

}  // namespace ganflow
