#pragma once
// The RunContext of one run (a Session): device, run folder, seed, log, stop flags (SIGINT, cancel).
#include <atomic>
#include <fstream>
#include <functional>
#include <string>

#include "ganflow/stage.hpp"

namespace ganflow {

class DistGroup;

// A training stage's progress, for a program that embeds a run (SessionOptions::on_progress)
// instead of the progress bar on stdout.
struct Progress {
  std::string stage;
  int64_t epoch = 0, batch = 0, batches = 0;  // `batch` of this epoch's `batches` done
  double images_per_s = 0;                    // this epoch so far
  std::string losses;                         // as the progress line shows them
};
struct ProgressSinks {
  std::function<void(const Progress&)> on_batch;  // a few times a second, and at each epoch's last batch
  std::function<void(const std::string& stage, const json& row)> on_epoch;  // each epoch's row
};

class HostRunContext : public RunContext {
 public:
  // `dist`: a data-parallel run's process group. Ranks other than 0 write nothing: they log only
  // warnings and errors, to stderr with "[rank N] " before them, and draw no progress.
  HostRunContext(torch::Device device, std::string run_dir, uint64_t seed, DistGroup* dist = nullptr);
  torch::Device device() const override { return device_; }
  const std::string& run_dir() const override { return run_dir_; }
  uint64_t seed() const override { return seed_; }
  bool stop_requested() const override;
  void log(const std::string& line) override;  // the sink (default stdout) and <run_dir>/log.txt
  // <run_dir>/log.txt alone (rank 0): what the console already shows another way, such as the
  // error the program prints when the run fails.
  void log_file_only(const std::string& line);
  void set_log_sink(std::function<void(const std::string&)> sink) { sink_ = std::move(sink); }
  void set_progress_sinks(ProgressSinks sinks) { progress_ = std::move(sinks); }
  const ProgressSinks& progress_sinks() const { return progress_; }
  // A flag another thread sets to stop the run as SIGINT does.
  void set_cancel_flag(const std::atomic<bool>* flag) { cancel_ = flag; }
  // `from`: a run folder (each stage resumes from checkpoints/<stage>_last.pt) or one file.
  void set_resume(std::string from) { resume_ = std::move(from); }
  std::string resume_checkpoint(const std::string& stage) const override;
  DistGroup* dist() const { return dist_; }
  bool main_rank() const { return rank_ == 0; }

  // SIGINT sets the stop flag (the step finishes, a checkpoint is written, exit 130).
  static void install_signal_handlers();
  static void request_stop();

 private:
  torch::Device device_;
  std::string run_dir_;
  uint64_t seed_;
  std::ofstream log_;
  std::string resume_;
  std::function<void(const std::string&)> sink_;
  ProgressSinks progress_;
  const std::atomic<bool>* cancel_ = nullptr;
  DistGroup* dist_ = nullptr;
  int rank_ = 0;
};

// The run folder a --resume or generate argument (run folder, checkpoint file or final model
// file) belongs to.
std::string run_dir_of(const std::string& resume_from);

// Creates `dir` (and parents) and checks it is writable; throws Error naming it.
void prepare_run_dir(const std::string& dir);

}  // namespace ganflow
