// Blocks in the simulator (issue 10 §4): one org of peers, an ordering service
// cutting blocks, link loss, optionally a leader crash; prints wall time, peak
// RSS, propagation, blocks behind, the failover gap and block messages per block
// per peer. Not a Google Benchmark: one run, one report. bench/README.md has the
// commands and figures.
//
//   fabnet_sim_blocks_bench MODE [--peers N] [--virtual MINUTES] [--rate R] [--loss P] [--seed S]
//
// MODE: steady (no fault), failover-default (Fabric's default gossip and
// election timings, the leader crashed half-way), failover-fast (the simulator
// tests' fast timings, same crash).

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <fmt/format.h>

#include "fast_block_timings.h"
#include "sim/scenario.h"
#include "sim/sim_result.h"
#include "sim/simulation.h"

namespace {

using fabnet::sim::Duration;
using fabnet::sim::SimResult;

constexpr const char* kDefaultTimings = R"(settings:
  peer:
    gossip:
      useLeaderElection: true
      orgLeader: false
)";

std::string text(const std::optional<Duration>& d) {
  if (!d) return "-";
  return fmt::format("{:.1f} ms", std::chrono::duration<double, std::milli>(*d).count());
}

int usage() {
  std::fputs(
      "usage: fabnet_sim_blocks_bench steady|failover-default|failover-fast [--peers N] "
      "[--virtual MINUTES] [--rate R] [--loss P] [--seed S]\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  if (mode != "steady" && mode != "failover-default" && mode != "failover-fast") return usage();
  int peers = 100;
  double minutes = 10;
  double rate = 10;
  double loss = 0.05;
  unsigned long long seed = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--peers") {
      peers = std::atoi(value);
    } else if (key == "--virtual") {
      minutes = std::atof(value);
    } else if (key == "--rate") {
      rate = std::atof(value);
    } else if (key == "--loss") {
      loss = std::atof(value);
    } else if (key == "--seed") {
      seed = std::strtoull(value, nullptr, 10);
    } else {
      return usage();
    }
  }
  const bool fast = mode == "failover-fast";
  const auto total =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(minutes * 60));
  const auto secs = [](Duration d) { return std::chrono::duration<double>(d).count(); };
  // Blocks from 1 minute (after the start-up elections) until 1 minute before the
  // end; the crash half-way; the tail lets the chain check run.
  std::string yaml = fmt::format(
      "name: blocks-bench\nseed: {}\nduration: {}s\nnetwork:\n  orgs: [{{name: org1, msp_id: "
      "Org1MSP, peers: {}}}]\n  channels: [{{name: ch, orgs: [org1]}}]\n  start_spread: 2s\n",
      seed, secs(total), peers);
  yaml += fast ? fabnet::sim::testing::fast_block_settings() : kDefaultTimings;
  yaml += fmt::format("link: {{latency: 5ms, jitter: 5ms, loss: {}}}\n", loss);
  yaml += fmt::format(
      "blocks: {{rate: {}, envelopes: 10, envelope_bytes: 1024, from: 60s, until: {}s, "
      "sample_interval: 1s}}\n",
      rate, secs(total) - 60);
  if (mode != "steady") {
    yaml += fmt::format(
        "faults:\n  - {{at: {}s, kind: crash, leader_of: {{channel: ch, org: org1}}}}\n",
        secs(total) / 2);
  }
  try {
    const fabnet::sim::Scenario scenario = fabnet::sim::load_scenario_string(yaml, "bench");
    const SimResult r = fabnet::sim::run_simulation(scenario, fabnet::sim::RunOptions{});
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    fmt::print("mode {} · {} peers · {} blocks/s · {:.0f} virtual min · loss {} · seed {}\n", mode,
               peers, rate, minutes, loss, seed);
    fmt::print("wall {:.1f} s · events {} · peak RSS {:.0f} MB\n", r.wall_seconds, r.events,
               static_cast<double>(usage.ru_maxrss) / 1024.0);
    for (const fabnet::sim::BlockGroupReport& b : r.blocks) {
      std::uint64_t worst = 0;
      std::uint64_t lowest = b.blocks_cut;
      std::size_t complete_peers = 0;
      for (const auto& p : b.peers) {
        worst = std::max(worst, p.max_behind);
        lowest = std::min(lowest, p.final_height);
        if (p.final_height == b.blocks_cut) ++complete_peers;
      }
      fmt::print(
          "{}/{}: cut {} · at all peers {} · peers with every block {}/{} · lowest height {}\n",
          b.channel, b.org, b.blocks_cut, b.blocks_complete, complete_peers, b.peers.size(),
          lowest);
      fmt::print("propagation p50 {} · p99 {} · max {} · worst blocks behind (1 s samples) {}\n",
                 text(b.propagation_p50), text(b.propagation_p99), text(b.propagation_max), worst);
      const double blocks = static_cast<double>(std::max<std::uint64_t>(b.blocks_cut, 1));
      const double n = static_cast<double>(std::max<std::size_t>(b.peers.size(), 1));
      for (const auto& [type, t] : b.traffic) {
        fmt::print(
            "  {:<15} {:>10} msgs · {:>7.2f} per block per peer · {:>9.0f} B per block per peer\n",
            type, t.messages, static_cast<double>(t.messages) / blocks / n,
            static_cast<double>(t.bytes) / blocks / n);
      }
      for (const auto& g : b.gaps) {
        fmt::print(
            "gap at {:.1f} s: leader after {} · blocks cut without leader {} · worst behind {} · "
            "caught up after {}\n",
            secs(g.from), g.leader_at ? text(*g.leader_at - g.from) : "never", g.blocks_cut,
            g.max_behind, g.caught_up_at ? text(*g.caught_up_at - g.from) : "never");
      }
    }
    fmt::print("chain check: {} · violations {}\n",
               r.chain_checked ? (r.chain_check_exact ? "exact" : "prefix") : "not run",
               r.violations.size());
    for (std::size_t i = 0; i < r.violations.size() && i < 5; ++i)
      fmt::print("  {}\n", r.violations[i]);
    return r.violations.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "fabnet_sim_blocks_bench: {}\n", e.what());
    return 1;
  }
}
