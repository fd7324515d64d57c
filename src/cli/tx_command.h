#pragma once

#include <memory>

#include "cli/command.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet tx broadcast`: signed envelopes to an orderer's Broadcast, with counts
// by status and latency to SUCCESS.
std::unique_ptr<Command> make_tx_command(CLI::App& parent);

}  // namespace fabnet::cli
