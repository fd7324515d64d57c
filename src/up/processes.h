#pragma once

// Processes of a `fabnet up` network: starting a node in a session of its own
// (so a terminal's Ctrl-C or hang-up reaches only the launcher), telling a live
// process from a recycled pid (its start time in /proc), and ports.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fabnet::up {

// A process as the kernel knows it: a pid alone may be reused after a reboot or
// once the process is gone; its start time (clock ticks since boot) may not.
struct ProcessId {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;

  bool operator==(const ProcessId&) const = default;
};

enum class ProcessState { kGone, kRunning, kStopped };

// The process started with `argv` (argv[0] a path), in a new session and process
// group, with stdin from /dev/null and stdout+stderr appended to `log`.
ProcessId spawn_in_own_session(const std::vector<std::string>& argv,
                               const std::filesystem::path& log,
                               const std::vector<std::pair<std::string, std::string>>& env = {});
// Runs argv to completion, output to `log`; its exit status, or -1.
int run_and_wait(const std::vector<std::string>& argv, const std::filesystem::path& log);

// Start time of `pid` from /proc/<pid>/stat, or 0 when there is no such process.
std::uint64_t start_ticks_of(pid_t pid);
ProcessId identify(pid_t pid);
// kGone also for a zombie and for a pid now held by another process.
ProcessState state_of(const ProcessId& process);
// Reaps every exited child of this process without blocking.
void reap_children();

// Signals the process group of `process` (each node leads its own) when it is
// still the process recorded; false if it is gone.
bool signal_group(const ProcessId& process, int sig);

// SIGTERM (SIGCONT first, for a paused one) to every process, then SIGKILL to
// those still there after `grace`. Returns the names of those that needed SIGKILL.
struct Named {
  std::string name;
  ProcessId process;
};
std::vector<std::string> stop_all(const std::vector<Named>& processes,
                                  std::chrono::milliseconds grace,
                                  const std::function<bool()>& hurry = {});

// Whether something already listens on 127.0.0.1:port (a bind there fails).
bool port_in_use(int port);

// The last `lines` lines of a file.
std::string log_tail(const std::filesystem::path& file, int lines);

// Resident set size of a process in KiB (VmRSS of /proc/<pid>/status), 0 if gone.
std::uint64_t rss_kib(const ProcessId& process);

// The path of the running executable (/proc/self/exe).
std::string self_binary();

}  // namespace fabnet::up
