#pragma once

#include <memory>

#include "cli/command.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet orderer start` runs the ordering service; `fabnet orderer fetch` reads a
// block range from one over Deliver (like `peer channel fetch`).
std::unique_ptr<Command> make_orderer_command(CLI::App& parent);

}  // namespace fabnet::cli
