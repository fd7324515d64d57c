#include "cli/demo_command.h"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "cli/app.h"
#include "cli/demo.h"
#include "config/core_config.h"
#include "config/duration.h"

namespace fabnet::cli {
namespace {

// Accepts what config::parse_go_duration accepts; `positive` also rejects "0s".
CLI::Validator go_duration(bool positive) {
  return CLI::Validator(
      [positive](std::string& text) -> std::string {
        try {
          const auto d = config::parse_go_duration(text);
          if (positive && d <= std::chrono::nanoseconds::zero()) return "must be positive";
          return {};
        } catch (const config::DurationError& e) {
          return fmt::format("{:?} is not a Go duration ({}); expected e.g. 30s, 1m30s, 500ms",
                             text, e.what());
        }
      },
      "");
}

bool wants_color(const std::ostream& out, bool no_color) {
  if (no_color || std::getenv("NO_COLOR") != nullptr) return false;
  return &out == &std::cout && ::isatty(STDOUT_FILENO) == 1;
}

class DemoCommand final : public Command {
 public:
  explicit DemoCommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "demo",
        "Leader election of one channel, two orgs of four peers, in virtual time: "
        "elect, crash Org1's leader, fail over");
    app_->add_option("--config", config_path_,
                     "core.yaml to take peer.gossip.election.* timings from\n"
                     "(default: Fabric's 15s/1s/10s/5s; CORE_* variables override both)")
        ->type_name("FILE");
    app_->add_option("--seed", seed_, "Seed for the peers' start offsets; a seed replays exactly")
        ->capture_default_str();
    app_->add_option("--crash-at", crash_at_,
                     "Virtual time at which Org1's leader crashes\n"
                     "(default: leaderAliveThreshold after both orgs have a leader)")
        ->type_name("DURATION")
        ->check(go_duration(false));
    app_->add_option("--duration", duration_,
                     "Virtual time to simulate in all (default: until the failover has settled)")
        ->type_name("DURATION")
        ->check(go_duration(true));
    app_->add_flag("--virtual", virtual_,
                   "Virtual time, in-process (what this demo always is; `fabnet up --demo`,\n"
                   "i.e. `./run demo`, runs the same story with real processes)");
    app_->add_flag("--no-color", no_color_, "Plain text even on a terminal (as does NO_COLOR=1)");
    app_->footer(
        "\nThe timeline shows, per peer: start, start-up done, proposals, the first declaration\n"
        "of each leadership tenure (repeats are counted), became leader, stepped down, crash.\n"
        "Per org it ends with the leader, the time to the first leader and the failover time,\n"
        "checked against election.md §5: LAT/2+LED .. 2*LAT+LED (10s .. 25s with defaults).\n"
        "DURATION is a Go duration: 30s, 1m30s, 500ms.\n"
        "\nExamples:\n"
        "  fabnet demo\n"
        "  fabnet demo --seed 7 --crash-at 40s\n"
        "  fabnet demo --config core.yaml --duration 2m\n"
        "\nExit status: 0 done, 1 an election invariant was violated, 2 configuration error.");
  }

  bool selected() const override { return app_->parsed(); }

  int run(std::ostream& out, std::ostream& err) override {
    DemoOptions options;
    try {
      const config::Environment env = config::process_environment();
      const config::CoreConfig cfg = config_path_.empty()
                                         ? config::load_core_config_string("", env, "<defaults>")
                                         : config::load_core_config_file(config_path_, env);
      options.timings = cfg.gossip.election;
      options.timings_source = config_path_.empty() ? "Fabric defaults" : config_path_;
      if (has_election_override(env)) options.timings_source += " + CORE_* environment";
      // Fabric's code defaults are a static follower, so only remark on a file's choice.
      if (!config_path_.empty() && cfg.gossip.leader_mode() != election::LeaderMode::kDynamic)
        options.notes.push_back(fmt::format(
            "{} sets peer.gossip.useLeaderElection: false (static {}); the demo runs the dynamic "
            "election anyway and takes only the timings from it",
            config_path_, cfg.gossip.org_leader ? "leader" : "follower"));
    } catch (const config::ConfigError& e) {
      fmt::print(err, "fabnet demo: {}\n", e.what());
      return kExitConfig;
    }
    options.seed = seed_;
    if (!crash_at_.empty()) options.crash_at = config::parse_go_duration(crash_at_);
    if (!duration_.empty()) options.duration = config::parse_go_duration(duration_);
    options.color = wants_color(out, no_color_);
    const DemoResult result = run_demo(options, out);
    return result.invariant_violations.empty() ? kExitOk : kExitFailure;
  }

 private:
  static bool has_election_override(const config::Environment& env) {
    for (const auto& [name, value] : env)
      if (name.starts_with("CORE_PEER_GOSSIP_ELECTION_") && !value.empty()) return true;
    return false;
  }

  CLI::App* app_ = nullptr;
  std::string config_path_;
  std::uint64_t seed_ = 1;
  std::string crash_at_;
  std::string duration_;
  bool no_color_ = false;
  bool virtual_ = true;
};

}  // namespace

std::unique_ptr<Command> make_demo_command(CLI::App& parent) {
  return std::make_unique<DemoCommand>(parent);
}

}  // namespace fabnet::cli
