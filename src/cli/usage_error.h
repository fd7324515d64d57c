#pragma once

// Usage errors of the `fabnet` command line: one line on stderr and exit status 2,
// whatever the parser or a later value check found. CLI11's own exit codes (104-109)
// never reach the shell: scripts see 0, 1 or 2 only.

#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace fabnet::cli {

// Missing required flag, unknown flag, a value that does not parse or is out of
// range. Same status as a configuration error: the user must change the input.
inline constexpr int kExitUsage = 2;

// The exit-status line a command's --help ends with; `zero_and_one` says what 0 and 1
// mean for that command, e.g. "0 done, 1 an invariant was violated".
std::string exit_status_footer(std::string_view zero_and_one);

// Parses argv into `app`. Returns nullopt when the command line is valid and a
// command should run; otherwise the exit status to return: 0 after --help or
// --version (printed on `out`), kExitUsage after a one-line error on `err` naming
// the command, e.g. "fabnet peer start: --config is required (see --help)".
std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                      std::ostream& out, std::ostream& err);

// Reports a bad value found after parsing; returns kExitUsage.
// `command` is e.g. "fabnet peer channel join", `message` names flag, value, expectation.
int usage_error(std::ostream& err, std::string_view command, std::string_view message);

// "HOST:PORT" with a port 1..65535 (0 too when `allow_zero`); the error names `flag`.
struct HostPort {
  std::string host;
  int port = 0;
};
struct HostPortResult {
  std::optional<HostPort> value;
  std::string error;  // when !value: "--ops \"host:abc\": expected host:port with ..."
};
HostPortResult parse_host_port(std::string_view flag, std::string_view text,
                               bool allow_zero = false);

}  // namespace fabnet::cli
