#include "cli/app.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <vector>

#include "cli/command.h"
#include "cli/crypto_command.h"
#include "cli/demo_command.h"
#include "cli/orderer_command.h"
#include "cli/peer_command.h"
#include "cli/sim_command.h"
#include "cli/tx_command.h"
#include "cli/up_command.h"
#include "cli/usage_error.h"

namespace fabnet::cli {

int run_fabnet(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "fabnet: Hyperledger Fabric's gossip leader election (one leader per channel and org),\n"
      "reimplemented in C++. Run `fabnet <command> --help` for a command's options."};
  app.name("fabnet");
  app.require_subcommand(1);
  app.set_version_flag("--version", "fabnet 0.1.0");
  app.footer(exit_status_footer("0 done, 1 the command ran and found something wrong") +
             "\nUsage errors print one line naming the flag, the value and what was expected.");

  // New subcommands (sim, peer, ...) are added here, one file each.
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(make_demo_command(app));
  commands.push_back(make_crypto_command(app));
  commands.push_back(make_sim_command(app));
  commands.push_back(make_peer_command(app));
  commands.push_back(make_orderer_command(app));
  commands.push_back(make_tx_command(app));
  add_up_commands(app, commands);

  // Usage errors are one line and exit 2, never CLI11's own codes.
  if (auto status = parse_command_line(app, argc, argv, out, err)) return *status;
  for (const auto& command : commands) {
    if (command->selected()) return command->run(out, err);
  }
  return kExitFailure;  // unreachable: require_subcommand(1)
}

}  // namespace fabnet::cli
