#include "election/invariants.h"

#include <fmt/format.h>

namespace fabnet::election {

std::vector<std::string> check_invariants(const LeaderElection& e) {
  std::vector<std::string> violations;
  auto fail = [&](std::string_view what) {
    violations.push_back(
        fmt::format("peer {:?} in phase {}: {}", e.id(), to_string(e.phase()), what));
  };
  if (e.is_leader() && !e.leader_exists()) fail("leader without leader_exists");
  if (e.is_leader() && e.yielding()) fail("leader while yielding");
  if (e.mode() == LeaderMode::kStaticFollower && e.is_leader()) fail("static follower leads");
  if (e.mode() == LeaderMode::kStaticLeader && e.phase() == Phase::kStatic && !e.is_leader())
    fail("static leader does not lead");
  if (e.mode() != LeaderMode::kDynamic && e.phase() != Phase::kStatic &&
      e.phase() != Phase::kCreated && e.phase() != Phase::kStopped)
    fail("static instance runs the election");
  if (e.stopped() && e.any_timer_armed()) fail("stopped instance has a timer armed");
  if (e.phase() == Phase::kStartup && e.is_leader()) fail("leader before start-up ended");
  if (e.phase() == Phase::kFollowing && e.is_leader()) fail("follower phase while leader");
  if (e.phase() == Phase::kCreated && (e.is_leader() || e.any_timer_armed()))
    fail("not started but active");
  return violations;
}

}  // namespace fabnet::election
