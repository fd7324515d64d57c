#pragma once

// DIR/fabnet-up.json: what a running network's later commands (status, down,
// kill, restart, load, ...) need — the network file it was started from and the
// processes by name with their start times, so that a folder whose processes are
// gone (a reboot, a kill -9 of everything) is recognised as stale.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "up/layout.h"
#include "up/network_file.h"
#include "up/processes.h"

namespace fabnet::up {

struct UpState {
  std::string network_text;    // the network.yaml text it was started from
  std::string network_source;  // its file name, or "<default network>"
  ProcessId launcher;          // the `fabnet up` process (foreground or not)
  std::map<std::string, ProcessId> nodes;
  std::map<std::string, ProcessId> load;  // by channel
  double load_rate = 0;
  std::string started_at;  // UTC, for messages

  NetworkFile network() const { return parse_network_file(network_text, network_source); }
  // Whether any recorded process still runs.
  bool anything_alive() const;
};

std::filesystem::path state_file(const std::filesystem::path& dir);
void save_state(const std::filesystem::path& dir, const UpState& state);  // atomic
// nullopt when DIR holds no state file; throws UpConfigError when it is unreadable.
std::optional<UpState> load_state(const std::filesystem::path& dir);

// The state of a network that runs now, or UpConfigError saying why not: no
// network in DIR, or a stale one (its processes are gone).
UpState running_network(const std::filesystem::path& dir);

}  // namespace fabnet::up
