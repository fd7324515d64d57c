// Failover timing and randomized convergence properties (election.md §5).

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <random>
#include <set>

#include "election_harness.h"

namespace fabnet::testing {
namespace {

// Window in which a new leader appears after the leader crashed (§5), widened by
// the largest message delay on both ends.
struct FailoverBound {
  Duration min, max;
};
FailoverBound failover_bound(const ElectionTimings& t, Duration max_delay) {
  return {t.leader_alive_threshold / 2 + t.leader_election_duration - max_delay,
          2 * t.leader_alive_threshold + t.leader_election_duration + max_delay};
}

struct FailoverRun {
  Duration failover;  // crash -> a single new leader
  PeerId new_leader;
  std::size_t leaders_at_end;
};

// Starts `n` peers at random offsets within one LAT (so follower windows and the
// leader's declarations line up differently each run), waits for the leader, lets
// a random phase pass, crashes the leader, and measures the time until one leader
// is back.
FailoverRun crash_leader_once(const ElectionTimings& timings, int n, std::mt19937_64& random,
                              Duration delay, std::vector<std::string>& violations) {
  std::uniform_int_distribution<std::int64_t> within_lat(0, timings.leader_alive_threshold.count());
  runtime::VirtualScheduler scheduler;
  sim::ClusterOptions options;
  options.timings = timings;
  options.message_delay = delay;
  sim::ElectionCluster cluster(scheduler, options);
  scheduler.set_after_event_hook([&] {
    for (auto& v : cluster.check_invariants()) violations.push_back(v);
  });
  for (const PeerId& id : peer_names(0, n - 1)) cluster.add_peer(id);
  for (const PeerId& id : cluster.peer_ids())
    scheduler.schedule(Duration(within_lat(random)), [&cluster, id] { cluster.start(id); });
  const Duration settle = timings.startup_grace_period + 3 * timings.leader_alive_threshold +
                          timings.leader_election_duration;
  scheduler.run_for(timings.leader_alive_threshold + settle);
  EXPECT_EQ(cluster.leaders().size(), 1u);
  const PeerId old_leader = cluster.leaders().empty() ? "" : cluster.leaders()[0];
  scheduler.run_for(Duration(within_lat(random)));
  const TimePoint crash_at = scheduler.now();
  cluster.crash(old_leader);
  const TimePoint limit =
      crash_at + 4 * timings.leader_alive_threshold + 2 * timings.leader_election_duration;
  scheduler.run_until_condition([&] { return cluster.leaders().size() == 1; }, limit);
  FailoverRun run{scheduler.now() - crash_at, cluster.leaders().empty() ? "" : cluster.leaders()[0],
                  0};
  scheduler.run_for(10 * timings.leader_alive_threshold);
  run.leaders_at_end = cluster.leaders().size();
  return run;
}

void expect_failovers_within_bound(const ElectionTimings& timings, int runs, std::uint64_t seed) {
  const Duration delay = milliseconds(1);
  const FailoverBound bound = failover_bound(timings, delay);
  std::mt19937_64 random(seed);
  Duration shortest = Duration::max(), longest = Duration::zero();
  for (int i = 0; i < runs; ++i) {
    std::vector<std::string> violations;
    const FailoverRun run = crash_leader_once(timings, 5, random, delay, violations);
    ASSERT_FALSE(run.new_leader.empty()) << "no new leader in run " << i;
    EXPECT_GE(run.failover, bound.min) << "run " << i;
    EXPECT_LE(run.failover, bound.max) << "run " << i;
    EXPECT_EQ(run.leaders_at_end, 1u);
    EXPECT_TRUE(violations.empty()) << violations.front();
    shortest = std::min(shortest, run.failover);
    longest = std::max(longest, run.failover);
  }
  // The random phases really spread the failover over the window.
  EXPECT_LT(shortest, bound.min + timings.leader_alive_threshold / 2);
  EXPECT_GT(longest, bound.max - timings.leader_alive_threshold / 2);
}

TEST(Failover, WithinTheBoundAtFabricDefaultTimings) {
  expect_failovers_within_bound(ElectionTimings{}, 100, 1);
}

TEST(Failover, WithinTheBoundAtFabricTestTimings) {
  expect_failovers_within_bound(ElectionTimings::fabric_test_timings(), 100, 2);
}

// With LED > LAT + message delay every survivor proposes inside the first
// proposer's window, so the lowest surviving ID always wins (§5).
TEST(Failover, LowestSurvivorWinsWhenElectionDurationExceedsThreshold) {
  ElectionTimings timings = ElectionTimings::fabric_test_timings();
  timings.leader_election_duration = milliseconds(800);
  std::mt19937_64 random(3);
  for (int i = 0; i < 100; ++i) {
    std::vector<std::string> violations;
    const FailoverRun run = crash_leader_once(timings, 6, random, milliseconds(1), violations);
    EXPECT_EQ(run.new_leader, "p1") << "run " << i;
    EXPECT_EQ(run.leaders_at_end, 1u);
    EXPECT_TRUE(violations.empty());
  }
}

// With the default LED < LAT any survivor may win: check that this really happens,
// so the test above is not passing for a trivial reason.
TEST(Failover, SomeoneOtherThanTheLowestCanWinWithDefaultRatio) {
  std::set<PeerId> winners;
  std::mt19937_64 random(4);
  const ElectionTimings timings{};
  for (int i = 0; i < 60; ++i) {
    std::vector<std::string> violations;
    winners.insert(crash_leader_once(timings, 6, random, milliseconds(1), violations).new_leader);
  }
  EXPECT_GT(winners.size(), 1u);
}

// Random group sizes 1-20, random byte-string IDs, random start offsets and a
// crash of the current leader: after the view is stable and within the bound,
// exactly one leader remains and stays. The case count comes from RC_PARAMS
// (ctest sets max_success=250).
TEST(ElectionProperty, ExactlyOneLeaderAfterStartAndAfterLeaderCrash) {
  const bool ok = rc::check([] {
    const int n = *rc::gen::inRange(1, 21);
    const auto ids = *rc::gen::unique<std::vector<std::string>>(
        n, rc::gen::container<std::string>(*rc::gen::inRange(1, 5), rc::gen::arbitrary<char>()));
    const auto jitter_ms = *rc::gen::inRange(0, 20);
    const ElectionTimings timings = ElectionTimings::fabric_test_timings();
    const Duration max_delay = milliseconds(1 + jitter_ms);

    runtime::VirtualScheduler scheduler;
    sim::ClusterOptions options;
    options.timings = timings;
    options.message_delay = milliseconds(1);
    options.message_jitter = milliseconds(jitter_ms);
    options.seed = *rc::gen::arbitrary<std::uint64_t>();
    sim::ElectionCluster cluster(scheduler, options);
    std::vector<std::string> violations;
    scheduler.set_after_event_hook([&] {
      for (auto& v : cluster.check_invariants()) violations.push_back(v);
    });
    for (const auto& id : ids) cluster.add_peer(id);  // the whole view exists from t=0
    Duration last_start{0};
    for (const auto& id : ids) {
      const Duration offset = milliseconds(*rc::gen::inRange(0, 2000));
      last_start = std::max(last_start, offset);
      scheduler.schedule(offset, [&cluster, id] { cluster.start(id); });
    }
    const Duration bound =
        2 * timings.leader_alive_threshold + timings.leader_election_duration + 2 * max_delay;
    // Converged: one leader, stable for a long while.
    const TimePoint settled = last_start + timings.startup_grace_period + bound;
    scheduler.run_until(settled);
    RC_ASSERT(cluster.leaders().size() == 1u);
    const std::size_t changes = cluster.changes().size();
    scheduler.run_for(20 * timings.leader_alive_threshold);
    RC_ASSERT(cluster.changes().size() == changes);
    RC_ASSERT(violations.empty());
    if (n == 1) return;

    const PeerId old_leader = cluster.leaders().front();
    scheduler.run_for(milliseconds(*rc::gen::inRange(0, 500)));
    const TimePoint crash_at = scheduler.now();
    cluster.crash(old_leader);
    scheduler.run_until(crash_at + bound);
    const auto after = cluster.leaders();
    RC_ASSERT(after.size() == 1u);
    RC_ASSERT(after.front() != old_leader);
    const std::size_t changes_after = cluster.changes().size();
    scheduler.run_for(20 * timings.leader_alive_threshold);
    RC_ASSERT(cluster.leaders() == after);
    RC_ASSERT(cluster.changes().size() == changes_after);
    RC_ASSERT(violations.empty());
  });
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace fabnet::testing
