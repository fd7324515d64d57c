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

namespace fabnet::cli {

int run_fabnet(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "fabnet: Hyperledger Fabric's gossip leader election (one leader per channel and org),\n"
      "reimplemented in C++. Run `fabnet <command> --help` for a command's options."};
  app.name("fabnet");
  app.require_subcommand(1);
  app.set_version_flag("--version", "fabnet 0.1.0");

  // New subcommands (sim, peer, ...) are added here, one file each.
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(make_demo_command(app));
  commands.push_back(make_crypto_command(app));
  commands.push_back(make_sim_command(app));
  commands.push_back(make_peer_command(app));
  commands.push_back(make_orderer_command(app));
  commands.push_back(make_tx_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other parse error is a usage error (2),
    // not CLI11's own numbering (105, 106, ...).
    const int status = app.exit(e, out, err);
    return status == 0 ? kExitOk : kExitConfig;
  }
  for (const auto& command : commands) {
    if (command->selected()) return command->run(out, err);
  }
  return kExitFailure;  // unreachable: require_subcommand(1)
}

}  // namespace fabnet::cli
