#include "ganflow/framework/report/metrics_csv.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "ganflow/error.hpp"
#include "ganflow/file_write.hpp"
#include "ganflow/params.hpp"

namespace ganflow {

namespace {
std::string csv_cell(const json& v) {
  // Empty, as the jsonl's null: a NaN written to metrics.jsonl reads back as null.
  if (v.is_null() || (v.is_number_float() && !std::isfinite(v.get<double>()))) return "";
  if (!v.is_string()) return v.dump();
  std::string s = v.get<std::string>();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}
}  // namespace

MetricsCsv::MetricsCsv(const std::string& jsonl, std::string csv) : csv_(std::move(csv)) {
  std::ifstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    json r = json::parse(line, nullptr, false);
    if (r.is_discarded() || r.value("kind", "") != "epoch") continue;  // a torn last line after a kill
    take(std::move(r));
  }
}

void MetricsCsv::take(json r) {
  r.erase("kind");
  auto key = std::make_pair(r.value("stage", ""), r.value("epoch", json()).dump());
  for (auto v = r.begin(); v != r.end(); ++v)
    if (v.key() != "stage" && v.key() != "epoch") columns_.insert(v.key());
  auto [it, fresh] = row_of_.emplace(key, rows_.size());
  if (fresh) rows_.push_back(std::move(r));
  else rows_[it->second] = std::move(r);
}

void MetricsCsv::add(json record) {
  take(std::move(record));
  write();
}

void MetricsCsv::write() const {
  std::vector<std::string> header = {"stage", "epoch"};
  header.insert(header.end(), columns_.begin(), columns_.end());
  std::ostringstream out;
  for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
  out << "\n";
  for (auto& r : rows_) {
    for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_cell(r.value(header[i], json()));
    out << "\n";
  }
  replace_file(csv_, out.str());
}

}  // namespace ganflow
