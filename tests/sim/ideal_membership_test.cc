// The idealised membership model (`membership: ideal`): the elections alone on
// the simulator's ground-truth views, with every fault kind acting through the
// simulated network as in the full model.

#include <gtest/gtest.h>

#include <string>

#include "sim/scenario.h"
#include "sim/simulation.h"
#include "sim_test_util.h"

namespace fabnet::sim {
namespace {

using std::chrono::seconds;
using testing::group;
using testing::leadership_changes_after;
using testing::sorted;
using Names = std::vector<std::string>;

Scenario ideal(int orgs, int peers, std::string_view duration, std::string_view faults,
               std::uint64_t seed = 1) {
  Scenario s = testing::small_scenario(orgs, peers, duration, faults, seed);
  s.membership = MembershipModel::kIdeal;
  return s;
}

SimResult run(const Scenario& scenario) {
  return testing::run_checked(scenario);
}

TEST(IdealMembershipScenarioTest, ParsesRoundTripsAndRejectsUnknownModels) {
  const std::string yaml =
      "membership: ideal\nnetwork:\n  orgs: [{name: org1, msp_id: Org1MSP, peers: 2}]\n"
      "  channels: [{name: ch, orgs: [org1]}]\n";
  const Scenario s = load_scenario_string(yaml, "ideal.yaml");
  EXPECT_EQ(s.membership, MembershipModel::kIdeal);
  EXPECT_EQ(load_scenario_string(to_yaml(s), "again.yaml").membership, MembershipModel::kIdeal);
  EXPECT_EQ(load_scenario_string(yaml.substr(yaml.find('\n') + 1), "gossip.yaml").membership,
            MembershipModel::kGossip);
  try {
    load_scenario_string("membership: oracle\n" + yaml.substr(yaml.find('\n') + 1), "bad.yaml");
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.yaml:1"), std::string::npos) << what;
    EXPECT_NE(what.find("membership"), std::string::npos) << what;
    EXPECT_NE(what.find("oracle"), std::string::npos) << what;
    EXPECT_NE(what.find("gossip"), std::string::npos) << what;
    EXPECT_NE(what.find("ideal"), std::string::npos) << what;
  }
}

TEST(IdealMembershipTest, OnlyLeadershipMessagesTravelAndTheLowestIdLeadsEachOrg) {
  const SimResult r = run(ideal(2, 4, "15s", ""));
  EXPECT_EQ(r.membership, MembershipModel::kIdeal);
  EXPECT_EQ(group(r, "Org1MSP").leaders_at_end, Names{"peer0.org1"});
  EXPECT_EQ(group(r, "Org2MSP").leaders_at_end, Names{"peer0.org2"});
  ASSERT_EQ(r.messages.count.size(), 1u);
  EXPECT_GT(r.messages.count.at("leadership_msg"), 0u);
}

TEST(IdealMembershipTest, CrashOfTheLeaderFailsOverWithinTheElectionBound) {
  const Scenario s =
      ideal(1, 4, "25s", "  - {at: 10s, kind: crash, leader_of: {channel: ch, org: org1}}\n");
  const SimResult r = run(s);
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_EQ(g.failovers.size(), 1u);
  ASSERT_TRUE(g.failovers[0].duration().has_value());
  const auto& e = s.settings.gossip.election;
  const Duration delay = 2 * (s.link.latency + s.link.jitter);
  EXPECT_GE(*g.failovers[0].duration(),
            e.leader_alive_threshold / 2 + e.leader_election_duration - delay);
  EXPECT_LE(*g.failovers[0].duration(),
            2 * e.leader_alive_threshold + e.leader_election_duration + delay);
  EXPECT_EQ(g.leaders_at_end, Names{"peer1.org1"});
}

TEST(IdealMembershipTest, PartitionGivesOneLeaderPerSideAndHealLeavesTheLowestId) {
  const std::string split =
      "  - {at: 10s, kind: partition, name: split, sides: {west: [peer0.org1, peer1.org1], "
      "east: [peer2.org1, peer3.org1]}}\n";
  const SimResult during = run(ideal(1, 4, "25s", split));
  EXPECT_EQ(sorted(group(during, "Org1MSP").leaders_at_end), (Names{"peer0.org1", "peer2.org1"}));
  const SimResult healed = run(ideal(1, 4, "40s", split + "  - {at: 22s, kind: heal}\n"));
  EXPECT_EQ(group(healed, "Org1MSP").leaders_at_end, Names{"peer0.org1"});
}

TEST(IdealMembershipTest, PausedLeaderFailsOverAndOnResumeTheLowerIdTakesItBack) {
  const SimResult r = run(ideal(1, 4, "35s",
                                "  - {at: 10s, kind: pause, leader_of: {channel: ch, org: org1}}\n"
                                "  - {at: 20s, kind: resume}\n"));
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_EQ(g.failovers.size(), 1u);
  EXPECT_EQ(g.failovers[0].new_leader, "peer1.org1");
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
  EXPECT_GT(g.time_with_several_leaders, Duration::zero());
}

TEST(IdealMembershipTest, RestartedPeerRejoinsAsFollowerWhenALeaderExists) {
  const SimResult r = run(ideal(1, 4, "40s",
                                "  - {at: 10s, kind: crash, peer: peer0.org1}\n"
                                "  - {at: 20s, kind: restart, peer: peer0.org1}\n"));
  const GroupReport& g = group(r, "Org1MSP");
  EXPECT_EQ(g.leaders_at_end, Names{"peer1.org1"});
  EXPECT_EQ(leadership_changes_after(g, "peer0.org1", TimePoint(seconds(20))), 0u)
      << "restarted peer took over";
}

TEST(IdealMembershipTest, SameSeedReplaysTheSameEventLogAndTheModelsDiffer) {
  const Scenario s = ideal(2, 3, "30s",
                           "  - {at: 10s, kind: crash, leader_of: {channel: ch, org: org1}}\n"
                           "  - {at: 12s, kind: link, loss: 0.2, duplicate: 0.1}\n");
  const SimResult a = run_simulation(s, RunOptions{});
  const SimResult b = run_simulation(s, RunOptions{});
  EXPECT_EQ(a.event_log_hash, b.event_log_hash);
  EXPECT_EQ(a.events, b.events);
  Scenario gossip = s;
  gossip.membership = MembershipModel::kGossip;
  EXPECT_NE(run_simulation(gossip, RunOptions{}).event_log_hash, a.event_log_hash);
}

// Issue 3 §5's 1,000-peer group at Fabric's test election timings, with the
// membership taken out of the picture: it settles on the lowest ID and stays.
TEST(IdealMembershipTest, LargeGroupAtTestTimingsSettlesOnTheLowestId) {
  const std::string yaml =
      "membership: ideal\nduration: 10s\nnetwork:\n"
      "  orgs: [{name: org1, msp_id: Org1MSP, peers: 300}]\n"
      "  channels: [{name: ch, orgs: [org1]}]\n"
      "settings:\n  peer:\n    gossip:\n      useLeaderElection: true\n      orgLeader: false\n"
      "      election: {startupGracePeriod: 500ms, membershipSampleInterval: 100ms, "
      "leaderAliveThreshold: 500ms, leaderElectionDuration: 500ms}\n";
  const SimResult r = run(load_scenario_string(yaml, "large.yaml"));
  const GroupReport& g = group(r, "Org1MSP");
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
  EXPECT_EQ(g.changes.size(), 1u);
  EXPECT_EQ(g.time_with_several_leaders, Duration::zero());
}

}  // namespace
}  // namespace fabnet::sim
