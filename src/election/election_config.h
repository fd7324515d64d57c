#pragma once

#include <chrono>

namespace fabnet::election {

using Duration = std::chrono::nanoseconds;

// Timing of one election instance (election.md §2). All four are positive;
// the config loader enforces that before an instance is built.
struct ElectionTimings {
  Duration startup_grace_period = std::chrono::seconds(15);
  Duration membership_sample_interval = std::chrono::seconds(1);
  Duration leader_alive_threshold = std::chrono::seconds(10);
  Duration leader_election_duration = std::chrono::seconds(5);

  // Fabric's own test-suite timings (election.md §7).
  static ElectionTimings fabric_test_timings() {
    using std::chrono::milliseconds;
    return {milliseconds(500), milliseconds(100), milliseconds(500), milliseconds(500)};
  }
};

// How a peer picks its org's leader (election.md §2).
enum class LeaderMode {
  kDynamic,         // useLeaderElection: true
  kStaticLeader,    // orgLeader: true
  kStaticFollower,  // both false
};

// "dynamic", "static leader" or "static follower", as logs and /status name the modes.
inline const char* leader_mode_name(LeaderMode mode) {
  switch (mode) {
    case LeaderMode::kDynamic:
      return "dynamic";
    case LeaderMode::kStaticLeader:
      return "static leader";
    case LeaderMode::kStaticFollower:
      return "static follower";
  }
  return "unknown";
}

}  // namespace fabnet::election
