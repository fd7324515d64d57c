#include "cli/peer_command.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/app.h"
#include "cli/usage_error.h"
#include "config/config_block.h"
#include "config/core_config.h"
#include "daemon/peer_daemon.h"
#include "logging/logger.h"
#include "logging/logging_spec.h"

namespace fabnet::cli {
namespace {

class PeerCommand final : public Command {
 public:
  explicit PeerCommand(CLI::App& parent) {
    app_ = parent.add_subcommand("peer", "Run a gossip peer, or talk to a running one");
    app_->require_subcommand(1);

    start_ =
        app_->add_subcommand("start",
                             "Start a peer: gossip over gRPC, leader election per joined channel, "
                             "operations endpoint (/healthz, /metrics, /status)");
    start_
        ->add_option("--config", config_path_,
                     "Fabric core.yaml (peer.*, operations.*); default: core.yaml in\n"
                     "$FABRIC_CFG_PATH, else in the working directory (as Fabric's peer)")
        ->type_name("FILE");
    start_
        ->add_option("--channels", channels_path_,
                     "Channel definitions: names, member orgs and their CA certificates\n"
                     "(written by `fabnet crypto generate` as channels.yaml); without it\n"
                     "the peer starts in no channel and joins with `peer channel join -b`")
        ->type_name("FILE");
    start_
        ->add_option("--join", join_,
                     "Channel to join at start (repeatable); default: every channel that "
                     "lists this peer's org")
        ->type_name("CHANNEL");
    start_
        ->add_option("--log-spec", log_spec_,
                     "Log levels, Fabric style: info, or gossip.election=debug:info\n"
                     "(default: $FABRIC_LOGGING_SPEC, else info)")
        ->type_name("SPEC");
    start_->footer(
        std::string(
            "\nEvery core.yaml key may be overridden by CORE_<KEY PATH>, e.g.\n"
            "CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD=2s. SIGINT/SIGTERM stop the peer "
            "cleanly.\n"
            "\nExample:\n"
            "  fabnet peer start --config peer0/core.yaml --channels crypto/channels.yaml\n") +
        exit_status_footer("0 stopped by a signal, 1 could not serve"));

    CLI::App* channel = app_->add_subcommand("channel", "Channel operations on a running peer");
    channel->require_subcommand(1);
    join_cmd_ = channel->add_subcommand("join", "Make a running peer join a channel now");
    CLI::Option* by_name =
        join_cmd_->add_option("--channel,-c", join_channel_, "Channel name (from its definitions)");
    CLI::Option* by_block = join_cmd_
                                ->add_option("--blockpath,-b", block_path_,
                                             "The channel's genesis or config block (Fabric's "
                                             "common.Block file):\nthe peer takes the channel's "
                                             "orgs and their CAs from it and joins")
                                ->type_name("FILE");
    by_name->excludes(by_block);
    join_cmd_
        ->add_option("--ops", ops_address_,
                     "The peer's operations endpoint (operations.listenAddress), host:port;\n"
                     "default: $CORE_OPERATIONS_LISTENADDRESS, else 127.0.0.1:9443")
        ->type_name("HOST:PORT");
    join_cmd_->footer(
        "\nThe CLI posts to the peer's operations endpoint: POST /channels/join?channel=NAME,\n"
        "or with -b the block's bytes as the body (see docs/operations.md).\n" +
        exit_status_footer("0 joined, 1 the peer could not be reached or refused"));
  }

  bool selected() const override { return app_->parsed(); }

  int run(std::ostream& out, std::ostream& err) override {
    if (start_->parsed()) return run_start(out, err);
    return run_join(out, err);
  }

 private:
  int run_start(std::ostream&, std::ostream& err) {
    try {
      logging::LoggingSpec spec = log_spec_.empty()
                                      ? logging::logging_spec_from_environment()
                                      : logging::parse_logging_spec(log_spec_, "--log-spec");
      logging::set_logging_spec(spec);
    } catch (const std::exception& e) {
      fmt::print(err, "fabnet peer start: {}\n", e.what());
      return kExitConfig;
    }
    std::unique_ptr<daemon::PeerDaemon> peer;
    try {
      daemon::PeerDaemonOptions options;
      if (config_path_.empty())
        config_path_ = config::find_config_file("core.yaml", std::getenv("FABRIC_CFG_PATH"));
      options.core = config::load_core_config_file(config_path_, config::process_environment());
      options.core_file = config_path_;
      options.channels_file = channels_path_;
      options.join = join_;
      peer = std::make_unique<daemon::PeerDaemon>(std::move(options));
    } catch (const std::exception& e) {
      fmt::print(err, "fabnet peer start: {}\n", e.what());
      return kExitConfig;
    }
    return peer->run();
  }

  int run_join(std::ostream& out, std::ostream& err) {
    if (join_channel_.empty() && block_path_.empty())
      return usage_error(err, "fabnet peer channel join",
                         "--channel NAME or --blockpath FILE is required (see fabnet peer "
                         "channel join --help)");
    if (ops_address_.empty()) {
      const char* env = std::getenv("CORE_OPERATIONS_LISTENADDRESS");
      ops_address_ = env != nullptr && *env != '\0' ? env : "127.0.0.1:9443";
    }
    const HostPortResult ops = parse_host_port("--ops", ops_address_);
    if (!ops.value) return usage_error(err, "fabnet peer channel join", ops.error);
    std::string block;
    if (!block_path_.empty()) {
      std::ifstream in(block_path_, std::ios::binary);
      std::ostringstream bytes;
      if (in) bytes << in.rdbuf();
      if (!in || bytes.str().empty()) {
        fmt::print(err, "fabnet peer channel join: -b {}: cannot read the block file{}\n",
                   block_path_, in ? " (it is empty)" : "");
        return kExitConfig;
      }
      block = bytes.str();
      try {  // checked here too, so a bad file is named before the peer is asked
        join_channel_ = config::read_config_block(block, block_path_).channel.name;
      } catch (const std::exception& e) {
        fmt::print(err, "fabnet peer channel join: {}\n", e.what());
        return kExitConfig;
      }
    }
    httplib::Client client(ops.value->host, ops.value->port);
    client.set_connection_timeout(3, 0);
    client.set_read_timeout(5, 0);
    auto response = block.empty()
                        ? client.Post(("/channels/join?channel=" +
                                       httplib::detail::encode_query_param(join_channel_))
                                          .c_str(),
                                      "", "text/plain")
                        : client.Post("/channels/join", block, "application/octet-stream");
    if (!response) {
      fmt::print(err, "fabnet peer channel join: cannot reach {}: {}\n", ops_address_,
                 httplib::to_string(response.error()));
      return kExitFailure;
    }
    if (response->status != 200) {
      fmt::print(err, "fabnet peer channel join: {} refused: {}\n", ops_address_, response->body);
      return kExitFailure;
    }
    fmt::print(out, "joined channel {}\n", join_channel_);
    return kExitOk;
  }

  CLI::App* app_ = nullptr;
  CLI::App* start_ = nullptr;
  CLI::App* join_cmd_ = nullptr;
  std::string config_path_;
  std::string channels_path_;
  std::vector<std::string> join_;
  std::string log_spec_;
  std::string join_channel_;
  std::string block_path_;
  std::string ops_address_;  // empty: $CORE_OPERATIONS_LISTENADDRESS, else 127.0.0.1:9443
};

}  // namespace

std::unique_ptr<Command> make_peer_command(CLI::App& parent) {
  return std::make_unique<PeerCommand>(parent);
}

}  // namespace fabnet::cli
