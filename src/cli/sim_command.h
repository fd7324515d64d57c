#pragma once

#include <memory>

#include "cli/command.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet sim`: runs a scenario in the deterministic simulator (or many random
// ones with --explore) and reports leadership, failovers and message costs as a
// table, JSON and SVG pictures (see docs/simulator.md).
std::unique_ptr<Command> make_sim_command(CLI::App& parent);

}  // namespace fabnet::cli
