#include "ganflow/framework/dist/launcher.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "ganflow/error.hpp"

namespace ganflow {

namespace {
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }

// A port nothing listens on now; the rendezvous binds it a moment later (as torchrun does).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(std::string("--nproc: no socket for a free port: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw Error(std::string("--nproc: cannot find a free port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Rank {
  pid_t pid = -1;
  int fds[2] = {-1, -1};  // its stdout, its stderr
  std::string pending[2];
  std::optional<int> code;
};

// Complete lines of `text` go to `to` with the rank's prefix (unless the rank wrote one).
void pass_lines(std::string& pending, const std::string& prefix, FILE* to, bool flush_all) {
  std::size_t start = 0, nl;
  while ((nl = pending.find('\n', start)) != std::string::npos || (flush_all && start < pending.size())) {
    if (nl == std::string::npos) nl = pending.size();
    std::string line = pending.substr(start, nl - start);
    if (line.rfind(prefix, 0) != 0) line = prefix + line;
    std::fprintf(to, "%s\n", line.c_str());
    start = nl + 1;
  }
  pending.erase(0, std::min(start, pending.size()));
  std::fflush(to);
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
}  // namespace

int launch_ranks(int nproc, const std::vector<std::string>& args, int grace_s) {
  if (std::getenv("WORLD_SIZE"))
    throw Error("--nproc inside a launched rank (WORLD_SIZE is set): let torchrun or --nproc start the ranks, not both");
  const char* env_port = std::getenv("MASTER_PORT");
  const std::string port = env_port ? std::string(env_port) : std::to_string(free_port());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  std::vector<Rank> ranks(static_cast<std::size_t>(nproc));
  for (int r = 0; r < nproc; ++r) {
    int out[2], err[2];
    if (::pipe(out) != 0 || ::pipe(err) != 0) throw Error(std::string("--nproc: pipe: ") + std::strerror(errno));
    pid_t pid = ::fork();
    if (pid < 0) throw Error(std::string("--nproc: fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::setpgid(0, 0);  // Ctrl-C reaches the launcher, which forwards it once to every rank
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err[1], STDERR_FILENO);
      for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
      const std::string n = std::to_string(nproc), rank = std::to_string(r);
      ::setenv("RANK", rank.c_str(), 1);
      ::setenv("LOCAL_RANK", rank.c_str(), 1);
      ::setenv("WORLD_SIZE", n.c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "--nproc: cannot start rank %d: %s\n", r, std::strerror(errno));
      std::_Exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    ranks[std::size_t(r)].pid = pid;
    ranks[std::size_t(r)].fds[0] = out[0];
    ranks[std::size_t(r)].fds[1] = err[0];
  }
  g_signal = 0;
  auto old_int = std::signal(SIGINT, on_signal), old_term = std::signal(SIGTERM, on_signal);

  std::optional<int> first_failure;
  std::chrono::steady_clock::time_point failed_at;
  bool killed = false;
  for (;;) {
    if (int sig = g_signal) {
      g_signal = 0;
      for (auto& k : ranks)
        if (!k.code) ::kill(k.pid, sig);
    }
    std::vector<pollfd> fds;
    std::vector<std::pair<std::size_t, int>> owner;
    for (std::size_t r = 0; r < ranks.size(); ++r)
      for (int s = 0; s < 2; ++s)
        if (ranks[r].fds[s] >= 0) {
          fds.push_back({ranks[r].fds[s], POLLIN, 0});
          owner.push_back({r, s});
        }
    if (!fds.empty()) ::poll(fds.data(), fds.size(), 100);
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto [r, s] = owner[i];
      Rank& k = ranks[r];
      char buf[4096];
      ssize_t n = ::read(k.fds[s], buf, sizeof buf);
      const std::string prefix = "[rank " + std::to_string(r) + "] ";
      if (n > 0) {
        k.pending[s].append(buf, std::size_t(n));
        pass_lines(k.pending[s], prefix, s == 0 ? stdout : stderr, false);
      } else if (n == 0 || errno != EINTR) {
        pass_lines(k.pending[s], prefix, s == 0 ? stdout : stderr, true);
        ::close(k.fds[s]);
        k.fds[s] = -1;
      }
    }
    bool running = false;
    for (auto& k : ranks) {
      if (k.code) continue;
      int status = 0;
      if (::waitpid(k.pid, &status, WNOHANG) == k.pid) {
        k.code = exit_code(status);
        if (*k.code != 0 && !first_failure) {
          first_failure = *k.code;
          failed_at = std::chrono::steady_clock::now();
        }
      } else {
        running = true;
      }
    }
    const bool pipes_open = std::any_of(ranks.begin(), ranks.end(), [](const Rank& k) { return k.fds[0] >= 0 || k.fds[1] >= 0; });
    if (!running && !pipes_open) break;
    if (running && first_failure && !killed &&
        std::chrono::steady_clock::now() - failed_at > std::chrono::seconds(grace_s)) {
      std::fprintf(stderr, "--nproc: a rank failed %d s ago and the others have not stopped; killing them\n", grace_s);
      for (auto& k : ranks)
        if (!k.code) ::kill(k.pid, SIGKILL);
      killed = true;
    }
  }
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  return first_failure.value_or(0);
}

}  // namespace ganflow
