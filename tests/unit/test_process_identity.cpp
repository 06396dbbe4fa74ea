// The log line that names a run's process, and what /proc says about the process it names
// (`ganflow board` shows a run whose process is gone as killed at once).
#include <catch2/catch.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "ganflow/framework/session/process_identity.hpp"

using ganflow::process_identity_line;
using ganflow::process_state;
using ganflow::ProcessState;

TEST_CASE("a process line names this process as alive, and a reaped child's pid as gone", "[session]") {
  const std::string self = process_identity_line();
  CHECK(self.rfind("process " + std::to_string(getpid()) + " on ", 0) == 0);
  CHECK(process_state(self) == ProcessState::alive);

  // A child that has exited and been reaped: its pid names no process (until the pid is reused,
  // which the start time catches: next test).
  pid_t child = 0;
  char arg0[] = "true";
  char* argv[] = {arg0, nullptr};
  REQUIRE(posix_spawn(&child, "/bin/true", nullptr, nullptr, argv, environ) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  const std::string host_and_rest = self.substr(self.find(" on "));
  CHECK(process_state("process " + std::to_string(child) + host_and_rest) == ProcessState::gone);
}

TEST_CASE("a process line with another start time is a reused pid: gone", "[session]") {
  const std::string self = process_identity_line();
  const std::string ticks = self.substr(self.rfind(' ') + 1);
  REQUIRE(!ticks.empty());
  CHECK(process_state(self.substr(0, self.rfind(' ') + 1) + ticks + "0") == ProcessState::gone);
}

TEST_CASE("a process line from another host, or not a process line, says nothing", "[session]") {
  const std::string self = process_identity_line();
  const auto on = self.find(" on "), comma = self.find(',');
  REQUIRE((on != std::string::npos && comma != std::string::npos));
  CHECK(process_state(self.substr(0, on) + " on elsewhere.example" + self.substr(comma)) == ProcessState::unknown);
  CHECK(process_state("process 1x on host, started 5") == ProcessState::unknown);
  CHECK(process_state("process 12") == ProcessState::unknown);
  CHECK(process_state("train: epoch 1") == ProcessState::unknown);
  CHECK(process_state("") == ProcessState::unknown);
}
