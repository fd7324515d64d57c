#include "cli/usage_error.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <charconv>

namespace fabnet::cli {
namespace {

// "fabnet peer start": the deepest subcommand the parser got to.
std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  const CLI::App* current = &app;
  for (;;) {
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : current->get_subcommands()) {
      if (sub->parsed()) next = sub;
    }
    if (!next) return path;
    path += " " + next->get_name();
    current = next;
  }
}

// CLI11 messages may span lines (e.g. a list of extras); the contract is one line.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

std::string exit_status_footer(std::string_view zero_and_one) {
  return fmt::format(
      "\nExit status: {}, 2 usage or configuration error (missing or unknown flag, bad value).",
      zero_and_one);
}

std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                      std::ostream& out, std::ostream& err) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    // --help, --help-all, --version: CLI11 prints them, status 0.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e, out, err);
    fmt::print(err, "{}: {} (see {} --help)\n", command_path(app), one_line(e.what()),
               command_path(app));
    return kExitUsage;
  }
}

int usage_error(std::ostream& err, std::string_view command, std::string_view message) {
  fmt::print(err, "{}: {}\n", command, one_line(std::string(message)));
  return kExitUsage;
}

HostPortResult parse_host_port(std::string_view flag, std::string_view text, bool allow_zero) {
  const auto fail = [&](std::string_view why) {
    return HostPortResult{
        std::nullopt, fmt::format("{} \"{}\": expected host:port with a port {}..65535 ({})", flag,
                                  text, allow_zero ? 0 : 1, why)};
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("no ':'");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  // [::1]:9443: the brackets are not part of the host name.
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return fail("no host");
  int port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    return fail("port is not a number");
  }
  if (port < (allow_zero ? 0 : 1) || port > 65535) return fail("port out of range");
  return HostPortResult{HostPort{std::string(host), port}, {}};
}

}  // namespace fabnet::cli
