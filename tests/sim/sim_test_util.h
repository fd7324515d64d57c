#pragma once

// Helpers shared by the simulator tests: small scenarios with fast timings.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario.h"
#include "sim/simulation.h"

namespace fabnet::sim::testing {

// Fast timings chosen so membership and channel views fill within one
// membership sample: a (re)started peer then sees an existing leader's
// declarations during start-up, as election.md §5 assumes.
inline constexpr std::string_view kFastSettings = R"(settings:
  peer:
    gossip:
      useLeaderElection: true
      orgLeader: false
      election:
        startupGracePeriod: 5s
        membershipSampleInterval: 1s
        leaderAliveThreshold: 1s
        leaderElectionDuration: 500ms
      aliveTimeInterval: 500ms
      aliveExpirationTimeout: 2.5s
      reconnectInterval: 2.5s
      pullInterval: 500ms
      publishStateInfoInterval: 100ms
      requestStateInfoInterval: 100ms
      publishCertPeriod: 1h
link: {latency: 5ms, jitter: 5ms}
)";

// One channel `ch` over `orgs` orgs of `peers` peers each, lasting `duration`,
// with the given fault lines (YAML list items, or empty).
inline Scenario small_scenario(int orgs, int peers, std::string_view duration,
                               std::string_view faults, std::uint64_t seed = 1) {
  std::string yaml = "name: test\nseed: " + std::to_string(seed) +
                     "\nduration: " + std::string(duration) + "\nnetwork:\n  orgs:\n";
  std::string org_names;
  for (int o = 1; o <= orgs; ++o) {
    yaml += "    - {name: org" + std::to_string(o) + ", msp_id: Org" + std::to_string(o) +
            "MSP, peers: " + std::to_string(peers) + "}\n";
    org_names += (o > 1 ? ", org" : "org") + std::to_string(o);
  }
  yaml += "  channels:\n    - {name: ch, orgs: [" + org_names + "]}\n";
  yaml += kFastSettings;
  if (!faults.empty()) yaml += "faults:\n" + std::string(faults);
  return load_scenario_string(yaml, "test scenario");
}

// One run with the settled-state invariants checked; a violation fails the test.
inline SimResult run_checked(const Scenario& scenario) {
  RunOptions options;
  options.check_invariants = true;
  SimResult result = run_simulation(scenario, options);
  EXPECT_TRUE(result.violations.empty()) << result.violations.front();
  return result;
}

inline const GroupReport& group(const SimResult& result, std::string_view org) {
  for (const GroupReport& g : result.groups) {
    if (g.org == org) return g;
  }
  throw std::out_of_range("no group for org " + std::string(org));
}

// How often `peer` took or lost the lead in `g` after `after`.
inline std::size_t leadership_changes_after(const GroupReport& g, std::string_view peer,
                                            TimePoint after) {
  return static_cast<std::size_t>(std::count_if(
      g.changes.begin(), g.changes.end(),
      [&](const LeadershipChangeRecord& c) { return c.peer == peer && c.at > after; }));
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace fabnet::sim::testing
