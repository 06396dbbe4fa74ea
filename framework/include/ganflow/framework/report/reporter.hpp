#pragma once
// What a user sees of a stage: a progress bar per epoch on a terminal (plain periodic lines
// otherwise, or an embedding program's progress sinks), a fastai-style epoch table, and
// metrics.jsonl / metrics.csv in the run folder (and, when asked, TensorBoard scalars).
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "ganflow/framework/report/metrics_csv.hpp"
#include "ganflow/framework/report/tensorboard_writer.hpp"
#include "ganflow/framework/session/run_context.hpp"
#include "ganflow/params.hpp"
#include "ganflow/stage.hpp"

namespace ganflow {

class Reporter {
 public:
  Reporter(RunContext& ctx, std::string stage, std::vector<std::string> columns, bool tensorboard);
  void epoch_begin(int64_t epoch, int64_t total_batches);
  // Cheap unless it is time to redraw; `losses` is evaluated (host sync) only then.
  template <class F> void batch(int64_t done, int64_t images, F&& losses) {
    auto now = std::chrono::steady_clock::now();
    if (silent_ || (now < next_draw_ && done < total_)) return;
    draw(done, images, losses());
    next_draw_ = now + (tty_ || on_batch() ? std::chrono::milliseconds(250) : std::chrono::seconds(15));
  }
  // row: column -> value; appended to metrics.jsonl with "stage" and "kind", metrics.csv rebuilt.
  void epoch_end(const json& row);
  void step_record(const json& row);  // per-step record into metrics.jsonl
  // An image for TensorBoard (the epoch's sample grid); nothing unless the stage asked for it.
  void image(const std::string& name, const Image& img, int64_t step);
  bool tensorboard() const { return tensorboard_.has_value(); }  // this process writes TensorBoard's file
  // (name, histogram) pairs for TensorBoard as <stage>/<name>; nothing unless the stage asked for it.
  void histograms(std::vector<std::pair<std::string, Histogram>> named, int64_t step);
  // The stage resumed from a checkpoint taken after `steps` steps, whose records were written
  // before it: TensorBoard keeps those and drops the killed session's later points.
  void resumed_after(int64_t steps);

 private:
  void draw(int64_t done, int64_t images, const std::string& losses);
  bool on_batch() const { return sinks_ && sinks_->on_batch; }
  // One line of metrics.jsonl, flushed; a failed write (a full disk) is an error naming the file.
  void append_record(const json& rec);
  RunContext& ctx_;
  const ProgressSinks* sinks_ = nullptr;  // an embedding program's, when it asked for them
  std::string stage_;
  std::vector<std::string> columns_;
  bool tty_, header_done_ = false;
  bool silent_ = false;  // a data-parallel rank other than 0: no progress, no files
  int64_t epoch_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point start_, next_draw_;
  std::ofstream jsonl_;
  std::optional<MetricsCsv> csv_;
  std::optional<TensorBoardWriter> tensorboard_;
};

}  // namespace ganflow
