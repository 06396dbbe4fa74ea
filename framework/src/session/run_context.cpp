#include "ganflow/framework/session/run_context.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>

#include "ganflow/error.hpp"
#include "ganflow/file_write.hpp"
#include "ganflow/framework/dist/dist_group.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_sigint(int) { g_stop = 1; }
}  // namespace

HostRunContext::HostRunContext(torch::Device device, std::string run_dir, uint64_t seed, DistGroup* dist)
    : device_(device), run_dir_(std::move(run_dir)), seed_(seed), dist_(dist), rank_(dist ? dist->rank() : 0) {
  if (!run_dir_.empty() && rank_ == 0) log_.open(fs::path(run_dir_) / "log.txt", std::ios::app);
}

bool HostRunContext::stop_requested() const { return g_stop != 0 || (cancel_ && cancel_->load()); }

void HostRunContext::log(const std::string& line) {
  if (rank_ != 0) {
    if (line.rfind("warning", 0) == 0 || line.rfind("error", 0) == 0)
      std::cerr << "[rank " << rank_ << "] " << line << std::endl;
    return;
  }
  if (sink_) sink_(line);
  else std::cout << line << std::endl;
  if (log_) log_ << line << std::endl;
}

void HostRunContext::log_file_only(const std::string& line) {
  if (rank_ == 0 && log_) log_ << line << std::endl;
}

std::string HostRunContext::resume_checkpoint(const std::string& stage) const {
  if (resume_.empty()) return "";
  // A checkpoint file (<stage>_<tag>.pt[.prev]) is its own stage's; the others continue from
  // their last checkpoints in the same run folder.
  if (!fs::is_directory(resume_) && fs::path(resume_).filename().string().rfind(stage + "_", 0) == 0) return resume_;
  fs::path last = fs::path(run_dir_of(resume_)) / "checkpoints" / (stage + "_last.pt");
  return fs::exists(last) ? last.string() : "";
}

std::string run_dir_of(const std::string& from) {
  if (fs::is_directory(from)) return from;
  if (!fs::exists(from)) throw Error("'" + from + "': no such run folder or checkpoint");
  // <run>/checkpoints/<file>, or a final model file <run>/<file>
  const fs::path parent = fs::path(from).parent_path();
  return (parent.filename() == "checkpoints" ? parent.parent_path() : parent).string();
}

void HostRunContext::install_signal_handlers() { std::signal(SIGINT, on_sigint); }
void HostRunContext::request_stop() { g_stop = 1; }

void prepare_run_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("output folder '" + dir + "': cannot create (" + ec.message() + ")");
  const fs::path probe = fs::path(dir) / ".write_test";
  try {
    write_file(probe.string(), "ok");
  } catch (const Error& e) {
    throw Error("output folder '" + dir + "': not writable (" + e.message() + ")");
  }
  fs::remove(probe, ec);
}

}  // namespace ganflow
