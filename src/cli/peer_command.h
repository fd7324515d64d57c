#pragma once

#include <memory>

#include "cli/command.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet peer start` runs a peer process; `fabnet peer channel join` asks a
// running peer (through its operations endpoint) to join a channel.
std::unique_ptr<Command> make_peer_command(CLI::App& parent);

}  // namespace fabnet::cli
