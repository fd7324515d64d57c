#pragma once

#include <memory>
#include <vector>

#include "cli/command.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet up` and the commands that act on the network it started: down, status,
// logs, kill, pause, resume, restart, load (docs/up.md).
void add_up_commands(CLI::App& parent, std::vector<std::unique_ptr<Command>>& commands);

}  // namespace fabnet::cli
