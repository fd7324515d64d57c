#pragma once

#include <ostream>

namespace fabnet::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and found something wrong
// Bad configuration (core.yaml or CORE_* variables) or command line (cli/usage_error.h).
inline constexpr int kExitConfig = 2;

// The whole `fabnet` command line: parses argv, runs the chosen subcommand, and
// returns the process exit status. Streams are parameters so tests can capture them.
int run_fabnet(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace fabnet::cli
