#pragma once
// Which process writes a run, as a line of its log, so that `ganflow board` can tell a run
// whose process was killed (no end line, files written seconds ago) from one still training.
#include <string>

namespace ganflow {

// "process <pid> on <host>, started <ticks>": the start time (clock ticks since boot, from
// /proc) tells a reused pid from the run's own.
std::string process_identity_line();

// This machine's host name ("" when the system will not say).
std::string host_name();

enum class ProcessState { alive, gone, unknown };

// The state of the process a process_identity_line names: unknown for another host (or a line
// that is not one), where this machine's /proc cannot see it.
ProcessState process_state(const std::string& line);

}  // namespace ganflow
