#include "ganflow/framework/report/reporter.hpp"

#include "ganflow/framework/report/memory_usage.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace ganflow {

namespace {
std::string jsonl_file(const RunContext& ctx) { return (std::filesystem::path(ctx.run_dir()) / "metrics.jsonl").string(); }

std::string cell(const json& v) {
  std::ostringstream s;
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isnan(d)) return "#na#";
    s << std::fixed << std::setprecision(6) << d;
  } else if (v.is_null()) {
    return "#na#";
  } else if (v.is_string()) {
    return v.get<std::string>();
  } else {
    s << v.dump();
  }
  return s.str();
}
std::string clock(double seconds) {
  char buf[32];
  int s = int(seconds);
  std::snprintf(buf, sizeof buf, "%02d:%02d", s / 60, s % 60);
  return buf;
}
}  // namespace

Reporter::Reporter(RunContext& ctx, std::string stage, std::vector<std::string> columns, bool tensorboard)
    : ctx_(ctx), stage_(std::move(stage)), columns_(std::move(columns)), tty_(isatty(STDOUT_FILENO)) {
  if (auto* host = dynamic_cast<HostRunContext*>(&ctx)) {
    sinks_ = &host->progress_sinks();
    silent_ = !host->main_rank();
  }
  if (silent_) return;
  std::filesystem::path dir = ctx.run_dir();
  const std::string jsonl = jsonl_file(ctx);
  csv_.emplace(jsonl, (dir / "metrics.csv").string());
  jsonl_.open(jsonl, std::ios::app);
  if (tensorboard) tensorboard_.emplace(dir.string(), stage_);
}

void Reporter::epoch_begin(int64_t epoch, int64_t total_batches) {
  if (silent_) return;
  epoch_ = epoch;
  total_ = total_batches;
  start_ = std::chrono::steady_clock::now();
  next_draw_ = start_;
  if (!header_done_) {
    std::ostringstream h;
    for (auto& c : columns_) h << std::left << std::setw(std::max<int>(12, int(c.size()) + 2)) << c;
    ctx_.log(h.str());
    header_done_ = true;
  }
}

void Reporter::draw(int64_t done, int64_t images, const std::string& losses) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double ips = secs > 0 ? double(images) / secs : 0;
  if (on_batch()) {
    sinks_->on_batch(Progress{stage_, epoch_, done, total_, ips, losses});
    return;
  }
  double eta = done > 0 ? secs * double(total_ - done) / double(done) : 0;
  std::ostringstream s;
  if (tty_) {
    int width = 30, filled = total_ ? int(width * done / total_) : 0;
    s << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] ";
  }
  s << done << "/" << total_ << " " << std::fixed << std::setprecision(1) << ips << " img/s ETA "
    << clock(eta) << " " << losses;
  if (tty_) {
    std::cout << s.str() << "\033[K" << std::flush;
  } else {
    std::cout << s.str() << std::endl;
  }
}

void Reporter::append_record(const json& rec) {
  jsonl_ << rec.dump() << "\n" << std::flush;
  if (!jsonl_) throw Error("cannot append to '" + jsonl_file(ctx_) + "': " + std::strerror(errno));
}

void Reporter::epoch_end(const json& row) {
  if (silent_) return;
  if (tty_ && !on_batch()) std::cout << "\r\033[K" << std::flush;
  if (sinks_ && sinks_->on_epoch) sinks_->on_epoch(stage_, row);
  std::ostringstream line;
  for (auto& c : columns_)
    line << std::left << std::setw(std::max<int>(12, int(c.size()) + 2)) << (row.contains(c) ? cell(row[c]) : "#na#");
  // Values callbacks recorded; the skipped-item count has its own warning line.
  for (auto it = row.begin(); it != row.end(); ++it)
    if (std::find(columns_.begin(), columns_.end(), it.key()) == columns_.end() && it.key() != "step" &&
        it.key() != "images_per_s" && it.key() != "skipped_items")
      line << " " << it.key() << "=" << cell(it.value());
  ctx_.log(line.str());
  json rec = row;
  rec["stage"] = stage_;
  rec["kind"] = "epoch";
  MemoryUsage mem = memory_usage();
  rec["rss_mb"] = mem.rss_mb;
  rec["rss_anon_mb"] = mem.rss_anon_mb;
  rec["peak_rss_mb"] = mem.peak_rss_mb;
  append_record(rec);
  if (tensorboard_) tensorboard_->scalars(rec, stage_ + "/epoch", rec.value("step", epoch_));
  csv_->add(std::move(rec));
}

void Reporter::image(const std::string& name, const Image& img, int64_t step) {
  if (tensorboard_) tensorboard_->image(stage_ + "/" + name, img, step);
}

void Reporter::histograms(std::vector<std::pair<std::string, Histogram>> named, int64_t step) {
  if (!tensorboard_) return;
  for (auto& [name, h] : named) name = stage_ + "/" + name;
  tensorboard_->histograms(named, step);
}

void Reporter::resumed_after(int64_t steps) {
  if (tensorboard_) tensorboard_->session_start(steps + 1);
}

void Reporter::step_record(const json& row) {
  if (silent_) return;
  json rec = row;
  rec["stage"] = stage_;
  rec["kind"] = "step";
  // Flushed (one per log_every steps): `ganflow board` draws a running run's curves from the file.
  append_record(rec);
  if (tensorboard_) tensorboard_->scalars(row, stage_, row.value("step", int64_t(0)));
}

}  // namespace ganflow
