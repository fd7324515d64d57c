#include "cli/up_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/app.h"
#include "up/launcher.h"

namespace fabnet::cli {
namespace {

constexpr const char* kDirHelp = "The network's folder (default ./fabnet-network)";

class UpCommand final : public Command {
 public:
  explicit UpCommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "up",
        "Start a whole local network (orderer, peers, load) as processes and watch its leaders "
        "and blocks live");
    app_->add_option("network", options_.network_file,
                     "network.yaml (docs/up.md); default: 1 orderer, 2 channels, 3 orgs x 3 peers")
        ->type_name("FILE");
    app_->add_option("--dir", options_.dir, kDirHelp)->type_name("DIR");
    app_->add_flag("--detach", options_.detach,
                   "Return once every (channel, org) has a leader and the load runs");
    app_->add_flag("--demo", options_.demo,
                   "Scripted faults (kill -9 a leader, pause another past LAT, restart), then a "
                   "summary and a chain check (./run demo)");
    app_->footer(
        "\nOn a terminal the view redraws twice a second; otherwise one line per event.\n"
        "Ctrl-C stops every process gracefully (SIGTERM); a second Ctrl-C kills them.\n"
        "\nExamples:\n"
        "  fabnet up\n"
        "  fabnet up network.yaml --dir /tmp/net --detach\n"
        "\nExit status: 0 done, 1 the network failed to start (log tails printed), 2 bad "
        "network.yaml or --dir.");
  }
  bool selected() const override { return app_->parsed(); }
  int run(std::ostream& out, std::ostream& err) override {
    up::UpOptions options = options_;
    options.live = &out == &std::cout && ::isatty(STDOUT_FILENO) == 1 &&
                   std::getenv("NO_COLOR") == nullptr && !options.detach;
    if (options.demo && options.detach) {
      err << "fabnet up: --demo and --detach exclude each other: the demo watches to the end\n";
      return kExitConfig;
    }
    return up::run_up(options, out, err);
  }

 private:
  CLI::App* app_ = nullptr;
  up::UpOptions options_;
};

// down, status, logs, kill, pause, resume, restart, load: each names --dir.
class NetworkCommand final : public Command {
 public:
  NetworkCommand(CLI::App& parent, std::string name, std::string help) : name_(std::move(name)) {
    app_ = parent.add_subcommand(name_, help);
    app_->add_option("--dir", dir_, kDirHelp)->type_name("DIR");
    if (name_ == "logs" || name_ == "kill" || name_ == "pause" || name_ == "resume" ||
        name_ == "restart")
      app_->add_option("node", node_, "Node name: orderer, peer0.org1, ...")->required();
    if (name_ == "logs")
      app_->add_option("--lines,-n", lines_, "Lines from the end; 0 = all")->capture_default_str();
    if (name_ == "load")
      app_->add_option("--rate,-r", rate_, "Envelopes per second per channel; 0 stops the load")
          ->required()
          ->check(CLI::Range(0.0, 10000.0));
  }
  bool selected() const override { return app_->parsed(); }
  int run(std::ostream& out, std::ostream& err) override {
    if (name_ == "down") return up::run_down(dir_, out, err);
    if (name_ == "status") return up::run_status(dir_, out, err);
    if (name_ == "logs") return up::run_logs(dir_, node_, lines_, out, err);
    if (name_ == "load") return up::run_load(dir_, rate_, out, err);
    return up::run_fault(dir_, name_, node_, out, err);
  }

 private:
  std::string name_;
  CLI::App* app_ = nullptr;
  std::string dir_ = "fabnet-network";
  std::string node_;
  int lines_ = 50;
  double rate_ = 0;
};

}  // namespace

void add_up_commands(CLI::App& parent, std::vector<std::unique_ptr<Command>>& commands) {
  commands.push_back(std::make_unique<UpCommand>(parent));
  const std::pair<const char*, const char*> others[] = {
      {"down", "Stop every process of a network started by `fabnet up`"},
      {"status", "Print the leaders and heights of a running `fabnet up` network once"},
      {"logs", "Print the end of one node's log"},
      {"kill", "SIGKILL one node of a running network"},
      {"pause", "SIGSTOP one node of a running network"},
      {"resume", "SIGCONT a paused node"},
      {"restart", "Start a node again (killed first if it runs), its ledger kept"},
      {"load", "Change the broadcast load of a running network"},
  };
  for (const auto& [name, help] : others)
    commands.push_back(std::make_unique<NetworkCommand>(parent, name, help));
}

}  // namespace fabnet::cli
