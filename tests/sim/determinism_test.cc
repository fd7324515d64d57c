#include <gtest/gtest.h>

#include "sim/scenario.h"
#include "sim/simulation.h"
#include "sim_test_util.h"

namespace fabnet::sim {
namespace {

using std::chrono::minutes;

// A run with every kind of fault and a lossy, duplicating, jittery link.
Scenario busy_scenario() {
  return testing::small_scenario(
      2, 4, "30s",
      "  - {at: 4s, kind: link, loss: 0.02, duplicate: 0.02, jitter: 20ms}\n"
      "  - {at: 6s, kind: skew, peer: peer2.org1, rate: 1.03}\n"
      "  - {at: 8s, kind: crash, leader_of: {channel: ch, org: org1}}\n"
      "  - {at: 10s, kind: pause, leader_of: {channel: ch, org: org2}}\n"
      "  - {at: 12s, kind: partition, sides: {a: [peer1.org1, peer1.org2]}}\n"
      "  - {at: 16s, kind: restart}\n"
      "  - {at: 17s, kind: resume}\n"
      "  - {at: 18s, kind: heal}\n");
}

// Three runs shared by the tests below: the scenario twice, then another seed.
class DeterminismTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Scenario s = busy_scenario();
    first_ = new SimResult(run_simulation(s, RunOptions{}));
    second_ = new SimResult(run_simulation(s, RunOptions{}));
    RunOptions other;
    other.seed = s.seed + 1;
    other_seed_ = new SimResult(run_simulation(s, other));
  }
  static void TearDownTestSuite() {
    delete first_;
    delete second_;
    delete other_seed_;
  }
  static const SimResult* first_;
  static const SimResult* second_;
  static const SimResult* other_seed_;
};
const SimResult* DeterminismTest::first_ = nullptr;
const SimResult* DeterminismTest::second_ = nullptr;
const SimResult* DeterminismTest::other_seed_ = nullptr;

TEST_F(DeterminismTest, SameSeedReplaysTheSameEventLog) {
  const SimResult& a = *first_;
  const SimResult& b = *second_;
  EXPECT_EQ(a.event_log_hash.size(), 16u);
  EXPECT_EQ(a.event_log_hash, b.event_log_hash);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.messages.count, b.messages.count);
  EXPECT_EQ(a.messages.lost, b.messages.lost);
  ASSERT_EQ(a.groups.size(), b.groups.size());
  for (std::size_t i = 0; i < a.groups.size(); ++i) {
    ASSERT_EQ(a.groups[i].changes.size(), b.groups[i].changes.size());
    for (std::size_t c = 0; c < a.groups[i].changes.size(); ++c) {
      EXPECT_EQ(a.groups[i].changes[c].at, b.groups[i].changes[c].at);
      EXPECT_EQ(a.groups[i].changes[c].peer, b.groups[i].changes[c].peer);
    }
  }
}

TEST_F(DeterminismTest, DifferentSeedGivesADifferentRun) {
  EXPECT_EQ(other_seed_->seed, first_->seed + 1);
  EXPECT_NE(first_->event_log_hash, other_seed_->event_log_hash);
}

TEST(ReplayTest, ReproducerYamlReplaysTheSameRun) {
  const Scenario s = random_scenario(3);
  const Scenario replayed = load_scenario_string(to_yaml(s), "reproducer.yaml");
  EXPECT_EQ(run_simulation(s, RunOptions{}).event_log_hash,
            run_simulation(replayed, RunOptions{}).event_log_hash);
}

TEST(DefaultScenarioTest, RunsAndReportsEveryGroupAndFault) {
  std::vector<double> progress;
  RunOptions options;
  options.check_invariants = true;
  options.progress = [&](double done) { progress.push_back(done); };
  const SimResult r = run_simulation(default_scenario(), options);
  EXPECT_EQ(r.scenario_name, "default");
  EXPECT_EQ(r.duration, minutes(10));
  EXPECT_EQ(r.peers, 12u);
  EXPECT_EQ(r.groups.size(), 5u);  // channel1 x 3 orgs + channel2 x 2 orgs
  EXPECT_EQ(r.faults.size(), 7u);
  for (const GroupReport& g : r.groups) {
    EXPECT_TRUE(g.time_to_first_leader.has_value()) << g.channel << "/" << g.org;
    EXPECT_EQ(g.leaders_at_end.size(), 1u) << g.channel << "/" << g.org;
  }
  // The crash of (channel1, Org1MSP)'s leader shows up as a failover there.
  const GroupReport& crashed = r.groups.front();
  ASSERT_FALSE(crashed.failovers.empty());
  EXPECT_EQ(crashed.failovers.front().cause, "crash");
  EXPECT_TRUE(crashed.failovers.front().recovered_at.has_value());
  EXPECT_TRUE(r.violations.empty()) << r.violations.front();
  ASSERT_FALSE(progress.empty());
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
}

}  // namespace
}  // namespace fabnet::sim
