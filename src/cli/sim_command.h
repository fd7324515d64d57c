#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "sim/explore.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet sim`: runs a scenario in the deterministic simulator (or many random
// ones with --explore) and reports leadership, failovers and message costs as a
// table, JSON and SVG pictures (see docs/simulator.md).
std::unique_ptr<Command> make_sim_command(CLI::App& parent);

// The end of `fabnet sim --explore`: on success one line; otherwise each
// failing seed with its violations, and its scenario written to
// <out_dir>/repro-<seed>.yaml (out_dir "" = ./fabnet-sim-out). Returns the
// exit status: 0 passed, 1 violations, 2 the reproducers could not be written.
int report_explore(const sim::ExploreResult& result, std::uint64_t first_seed,
                   const std::string& out_dir, std::ostream& out, std::ostream& err);

}  // namespace fabnet::cli
