#include "run_summary.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "ganflow/error.hpp"
#include "ganflow/framework/graph/graph.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/framework/session/process_identity.hpp"
#include "ganflow/framework/session/session.hpp"
#include "ganflow/image_io.hpp"
#include "step_sample.hpp"

namespace ganflow::board {

namespace fs = std::filesystem;

namespace {

// A run with no end line in its log is running while a process on this machine holds its log
// or metrics open, or (a run written from another machine to a shared folder) while it wrote
// something within this many seconds. A step record comes every log_every steps, so a slow
// run can be quiet for minutes.
constexpr double kQuietSeconds = 300;
constexpr std::size_t kLogTailLines = 200;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double seconds_since_epoch(fs::file_time_type t) {
  // file_time_type's clock is not system_clock in C++17: go through "now" on both clocks.
  auto now_file = fs::file_time_type::clock::now();
  auto now_sys = std::chrono::system_clock::now();
  auto sys = now_sys + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - now_file);
  return std::chrono::duration<double>(sys.time_since_epoch()).count();
}

// The newest modification time of the files the training writes (seconds since the epoch).
double last_modified(const fs::path& dir) {
  double newest = 0;
  std::error_code ec;
  for (const char* f : {"log.txt", "metrics.jsonl", "graph.json"}) {
    auto t = fs::last_write_time(dir / f, ec);
    if (!ec) newest = std::max(newest, seconds_since_epoch(t));
  }
  for (const char* sub : {"checkpoints", "samples"}) {
    for (fs::directory_iterator it(dir / sub, ec), end; !ec && it != end; it.increment(ec)) {
      auto t = it->last_write_time(ec);
      if (!ec) newest = std::max(newest, seconds_since_epoch(t));
    }
    ec.clear();
  }
  return newest;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Every file some process on this machine holds open (/proc/*/fd), read at most once a second
// (handlers run on several threads). Processes of other users are not visible to a non-root
// board; their runs fall back to the modification time.
std::set<std::string> open_files() {
  static std::mutex mutex;
  static std::set<std::string> files;
  static std::chrono::steady_clock::time_point read_at{};
  std::lock_guard<std::mutex> lock(mutex);
  const auto now = std::chrono::steady_clock::now();
  if (now - read_at < std::chrono::seconds(1)) return files;
  read_at = now;
  files.clear();
  const std::string self = std::to_string(::getpid());
  std::error_code ec;
  for (fs::directory_iterator p("/proc", ec), end; !ec && p != end; p.increment(ec)) {
    const std::string pid = p->path().filename().string();
    // Not this process: the board itself opens the files it reads.
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0])) || pid == self) continue;
    std::error_code fd_ec;
    for (fs::directory_iterator fd(p->path() / "fd", fd_ec), fd_end; !fd_ec && fd != fd_end; fd.increment(fd_ec)) {
      std::error_code link_ec;
      fs::path target = fs::read_symlink(fd->path(), link_ec);
      if (!link_ec) files.insert(target.string());
    }
  }
  return files;
}

bool held_open(const fs::path& dir) {
  const std::set<std::string> files = open_files();
  std::error_code ec;
  for (const char* f : {"log.txt", "metrics.jsonl"}) {
    const fs::path p = fs::canonical(dir / f, ec);
    if (!ec && files.count(p.string())) return true;
  }
  return false;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Calls take(record, line) for each record of `text`, numbering lines from line_no + 1; returns the
// length of the complete lines. Complete lines that are not records go to `bad_lines`. A last
// line without its newline (a run being written, or killed mid-line) is reported in
// `half_written` and not taken, even when it parses: the next poll reads again from the last
// newline and would take it twice.
template <class Take>
std::size_t parse_lines(const std::string& text, int& line_no, json& bad_lines, json& half_written, Take take) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    const bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (nl == std::string::npos) {
      if (!blank)
        half_written.push_back("metrics.jsonl: the last line (" + std::to_string(line_no + 1) +
                               ") is half-written (a run being written or killed mid-line); it is left out");
      break;
    }
    start = nl + 1;
    ++line_no;
    if (blank) continue;
    json rec = json::parse(line, nullptr, false);
    if (!rec.is_discarded() && rec.is_object()) take(std::move(rec), line);
    else bad_lines.push_back("metrics.jsonl: line " + std::to_string(line_no) + " is not a JSON record; it is left out");
  }
  return start;
}

// What the run list shows from the metrics: the epoch records and the last step record.
struct MetricsSummary {
  json epochs = json::array(), last_step = nullptr;
};

// The board polls the run list and an open run's page, and a long run's metrics.jsonl holds
// hundreds of thousands of lines (five runs of 200k steps took 3 s a poll, parsed whole). The
// file only grows while a run writes it, so each file's summary is kept with the offset after its
// last complete line and the bytes before that offset; a poll parses only what was appended, and
// a file that is shorter or differs before the offset (rewritten) is summarised afresh.
// With `steps`, also each stage's sample of step records (StepSample), for a run's charts.
MetricsSummary summarise_metrics(const fs::path& dir, json& problems, json* steps = nullptr) {
  struct Entry {
    std::uintmax_t offset = 0;
    std::string before;  // the last bytes before `offset`
    int lines = 0;
    MetricsSummary summary;
    std::vector<std::pair<std::string, StepSample>> samples;  // per stage, in the order stages start
    json problems = json::array();  // the complete lines that are not records
  };
  static std::mutex mutex;
  static std::map<std::string, Entry> cache;
  const fs::path file = dir / "metrics.jsonl";
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return {};
  std::ifstream in(file, std::ios::binary);
  auto bytes = [&](std::uintmax_t from, std::uintmax_t n) {
    std::string b(n, '\0');
    in.seekg(std::streamoff(from));
    in.read(b.data(), std::streamsize(n));
    b.resize(std::size_t(in.gcount()));
    in.clear();
    return b;
  };
  std::lock_guard<std::mutex> lock(mutex);
  Entry& e = cache[file.string()];
  if (size < e.offset || bytes(e.offset - e.before.size(), e.before.size()) != e.before) e = Entry{};
  const std::string text = bytes(e.offset, size - e.offset);
  json half_written = json::array();
  const std::size_t complete = parse_lines(text, e.lines, e.problems, half_written, [&](json rec, const std::string& line) {
    const std::string kind = rec.value("kind", "");
    if (kind == "step") {
      const std::string stage = rec.value("stage", "");
      auto it = std::find_if(e.samples.begin(), e.samples.end(), [&](auto& s) { return s.first == stage; });
      if (it == e.samples.end()) it = e.samples.insert(e.samples.end(), {stage, StepSample()});
      it->second.add(line);
      e.summary.last_step = std::move(rec);
    } else if (kind == "epoch") {
      e.summary.epochs.push_back(std::move(rec));
    }
  });
  e.offset += complete;
  const std::size_t keep = std::min<std::size_t>(64, complete);
  if (keep > 0) e.before = text.substr(complete - keep, keep);
  for (const json* list : {&e.problems, &half_written})
    for (auto& p : *list) problems.push_back(p);
  if (steps)
    for (const auto& [stage, sample] : e.samples)
      for (auto& r : sample.records()) steps->push_back(std::move(r));
  return e.summary;
}

json read_graph(const fs::path& dir, json& problems) {
  const fs::path file = dir / "graph.json";
  if (!fs::exists(file)) {
    problems.push_back("graph.json is missing");
    return nullptr;
  }
  json g = json::parse(read_file(file), nullptr, false);
  if (g.is_discarded() || !g.is_object()) {
    problems.push_back("graph.json is not valid JSON");
    return nullptr;
  }
  return g;
}

// The node names an input value refers to: "node", "node.output", or a list of them.
void input_refs(const json& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    out.push_back(s.substr(0, s.find('.')));
  } else if (v.is_array()) {
    for (auto& e : v) input_refs(e, out);
  }
}

// Nodes with their kind, inputs and depth (the longest path from a node without inputs, for
// the drawing), in the executor's build order, and the stages in that order (the order they
// run). A graph the framework cannot order (a file edited by hand) falls back to (depth, name).
json graph_diagram(const json& g) {
  json out = {{"name", g.value("name", "")}, {"doc", g.value("doc", "")}, {"nodes", json::array()},
              {"stages", json::array()}};
  if (!g.contains("nodes") || !g["nodes"].is_object()) return out;
  std::map<std::string, std::vector<std::string>> deps;
  for (auto& [name, node] : g["nodes"].items()) {
    std::vector<std::string> refs;
    if (node.is_object() && node.contains("inputs") && node["inputs"].is_object())
      for (auto& [port, v] : node["inputs"].items()) input_refs(v, refs);
    deps[name] = refs;
  }
  // Depth = longest path from a node without inputs; order by (depth, name).
  std::map<std::string, int> depth;
  std::function<int(const std::string&, int)> depth_of = [&](const std::string& n, int guard) -> int {
    if (auto it = depth.find(n); it != depth.end()) return it->second;
    if (guard > 1000 || !deps.count(n)) return 0;
    int d = 0;
    for (auto& r : deps[n])
      if (r != n && deps.count(r)) d = std::max(d, depth_of(r, guard + 1) + 1);
    return depth[n] = d;
  };
  std::vector<std::pair<int, std::string>> by_depth;
  for (auto& [name, _] : deps) by_depth.emplace_back(depth_of(name, 0), name);
  std::sort(by_depth.begin(), by_depth.end());
  std::vector<std::string> order;
  try {
    order = build_order(parse_graph(g.dump()));
  } catch (const std::exception&) {
    for (auto& [d, name] : by_depth) order.push_back(name);
  }
  for (auto& name : order) {
    const int d = depth_of(name, 0);
    const json& node = g["nodes"][name];
    const std::string type = node.is_object() ? node.value("type", "") : "";
    const NodeSpec* spec = default_registry().find(type);
    const std::string kind = spec ? to_string(spec->kind) : "unknown";
    json inputs = json::array();
    for (auto& r : deps[name])
      if (deps.count(r)) inputs.push_back(r);
    out["nodes"].push_back({{"name", name}, {"type", type}, {"kind", kind}, {"depth", d}, {"inputs", inputs}});
    if (kind == "stage") out["stages"].push_back(name);
  }
  return out;
}

struct Status {
  std::string status, detail;
};

// From the log's last session (a resume appends one) and the files: the ganflow program ends
// each session's log with "run finished", "run failed: ..." or the stop line.
Status run_status(const fs::path& dir, const std::vector<std::string>& log, double modified, const json& graph) {
  std::size_t begin = 0;
  for (std::size_t i = 0; i < log.size(); ++i)
    if (log[i].rfind("ganflow run ", 0) == 0) begin = i;
  ProcessState process = ProcessState::unknown;
  std::string process_line;
  for (std::size_t i = log.size(); i-- > begin;) {
    const std::string& l = log[i];
    if (l == "run finished") return {"finished", "the log ends with 'run finished'"};
    if (l.rfind("run failed: ", 0) == 0) return {"failed", l.substr(12)};
    if (l.rfind("stopped; checkpoint in", 0) == 0) return {"stopped", "stopped (Ctrl-C); resume with ganflow run --resume"};
    if (l.rfind("process ", 0) == 0) process = process_state(l), process_line = l;
  }
  // On the machine that ran it, a run whose process is gone is over at once (killed, or the
  // machine restarted), whatever its files' times say; elsewhere the quiet time decides.
  const std::string process_name = process_line.substr(0, process_line.find(','));  // "process N on H"
  if (process == ProcessState::gone)
    return {"failed", "killed: " + process_name + " ended without an end line; resume with ganflow run --resume"};
  const double quiet = now_seconds() - modified;
  if (process == ProcessState::alive)
    return {"running", process_name + " is running; files written " + std::to_string(int(quiet)) + " s ago"};
  // No process line this machine can check (another host's run, or one logged before the line existed).
  if (held_open(dir)) return {"running", "a process has its log open; files written " + std::to_string(int(quiet)) + " s ago"};
  if (quiet < kQuietSeconds) return {"running", "files written " + std::to_string(int(quiet)) + " s ago"};
  // Runs logged before the end lines existed: finished when every trained stage left its
  // final model files beside its last checkpoint.
  bool any = false, all = true;
  if (graph.is_object() && graph.contains("nodes") && graph["nodes"].is_object())
    for (auto& [name, _] : graph["nodes"].items()) {
      if (!fs::exists(dir / "checkpoints" / (name + "_last.pt"))) continue;
      any = true;
      bool final_file = false;
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string f = it->path().filename().string();
        if (f.rfind(name + "_", 0) == 0 && f.size() > 3 && f.compare(f.size() - 3, 3, ".pt") == 0) final_file = true;
      }
      all = all && final_file;
    }
  if (any && all) return {"finished", "every trained stage wrote its final model files"};
  return {"failed", "the log has no end line and nothing changed for " + std::to_string(int(quiet)) +
                        " s: the process was killed or crashed"};
}

json sample_list(const fs::path& dir, json& problems, bool check_images) {
  json samples = json::array();
  const fs::path sdir = dir / "samples";
  if (!fs::is_directory(sdir)) {
    problems.push_back("samples/ is missing: no sample grids yet");
    return samples;
  }
  static const std::regex name_re(R"(epoch_(\d+)\.png)");
  std::vector<std::pair<long, std::string>> files;
  std::error_code ec;
  for (fs::directory_iterator it(sdir, ec), end; !ec && it != end; it.increment(ec)) {
    std::smatch m;
    const std::string f = it->path().filename().string();
    if (std::regex_match(f, m, name_re)) files.emplace_back(std::stol(m[1]), f);
  }
  std::sort(files.begin(), files.end());
  for (auto& [epoch, f] : files) {
    json s = {{"epoch", epoch}, {"file", "samples/" + f}};
    if (check_images) {
      const std::string bytes = read_file(sdir / f);
      try {
        Image img = decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 3, f, true);
        s["width"] = img.width;
        s["height"] = img.height;
      } catch (const std::exception& e) {
        s["error"] = e.what();
        problems.push_back("samples/" + f + " cannot be decoded: " + e.what());
      }
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

struct Loaded {
  json overview, steps, epochs, graph;
  std::vector<std::string> log;
};

// With `steps`, each stage's sample of step records too.
Loaded load(const fs::path& dir, const std::string& name, bool steps) {
  Loaded r;
  json problems = json::array();
  r.graph = read_graph(dir, problems);
  r.steps = json::array();
  MetricsSummary summary = summarise_metrics(dir, problems, steps ? &r.steps : nullptr);
  r.epochs = std::move(summary.epochs);
  if (fs::exists(dir / "log.txt")) r.log = split_lines(read_file(dir / "log.txt"));
  else problems.push_back("log.txt is missing");
  const double modified = last_modified(dir);
  Status st = run_status(dir, r.log, modified, r.graph);

  json last_epoch = nullptr, last_step = nullptr, best_fd = nullptr, last_stage = nullptr;
  double best = INFINITY;
  for (auto& e : r.epochs) {
    if (e.contains("epoch") && e["epoch"].is_number()) last_epoch = e["epoch"];
    if (e.contains("step") && e["step"].is_number()) last_step = e["step"];
    if (e.contains("stage")) last_stage = e["stage"];
    for (const char* k : {"fd", "fd_best"})
      if (e.contains(k) && e[k].is_number() && std::isfinite(e[k].get<double>())) best = std::min(best, e[k].get<double>());
  }
  if (const json& s = summary.last_step; s.is_object()) {
    if (s.contains("step") && s["step"].is_number() &&
        (last_step.is_null() || s["step"].get<double>() > last_step.get<double>()))
      last_step = s["step"];
  }
  if (std::isfinite(best)) best_fd = best;
  std::string graph_name = r.graph.is_object() ? r.graph.value("name", "") : "";
  r.overview = {{"name", name},
                {"graph_name", graph_name},
                {"status", st.status},
                {"status_detail", st.detail},
                {"last_epoch", last_epoch},
                {"last_step", last_step},
                {"last_stage", last_stage},
                {"best_fd", best_fd},
                {"modified", modified},
                {"problems", problems}};
  return r;
}

}  // namespace

bool is_run_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) &&
         (fs::exists(dir / "graph.json", ec) || fs::exists(dir / "log.txt", ec) || fs::exists(dir / "metrics.jsonl", ec));
}

json run_overview(const fs::path& dir, const std::string& name) { return load(dir, name, false).overview; }

json run_details(const fs::path& dir, const std::string& name) {
  Loaded r = load(dir, name, true);
  json out = r.overview;
  out["steps"] = std::move(r.steps);
  out["epochs"] = std::move(r.epochs);
  out["samples"] = sample_list(dir, out["problems"], true);
  out["graph"] = r.graph.is_object() ? graph_diagram(r.graph) : json(nullptr);
  std::string tail;
  for (std::size_t i = r.log.size() > kLogTailLines ? r.log.size() - kLogTailLines : 0; i < r.log.size(); ++i)
    tail += r.log[i] + "\n";
  out["log_tail"] = tail;
  return out;
}

json list_runs(const fs::path& runs_dir) {
  json runs = json::array();
  std::error_code ec;
  if (is_run_dir(runs_dir)) {
    runs.push_back(run_overview(runs_dir, runs_dir.filename().string()));
    return runs;
  }
  std::vector<json> found;
  for (fs::directory_iterator it(runs_dir, ec), end; !ec && it != end; it.increment(ec))
    if (is_run_dir(it->path())) found.push_back(run_overview(it->path(), it->path().filename().string()));
  std::sort(found.begin(), found.end(), [](const json& a, const json& b) {
    return a["modified"].get<double>() > b["modified"].get<double>();
  });
  for (auto& r : found) runs.push_back(std::move(r));
  return runs;
}

}  // namespace ganflow::board
