// Scenario features for failure studies: start times, link properties per peer
// and per pair, leader_of in partitions and links (resolved at the fault's time),
// and the ideal model following one-way reachability.

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "sim/failover_analysis.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "sim_test_util.h"

namespace fabnet::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::group;
using Names = std::vector<std::string>;

// One org of four peers on `ch`, fast timings, ideal membership.
Scenario ideal4(std::string_view duration, std::string_view faults,
                std::string_view network_extra = "") {
  std::string yaml = "name: t\nduration: " + std::string(duration) +
                     "\nmembership: ideal\nnetwork:\n"
                     "  orgs: [{name: org1, msp_id: Org1MSP, peers: 4}]\n"
                     "  channels: [{name: ch, orgs: [org1]}]\n" +
                     std::string(network_extra) + std::string(testing::kFastSettings);
  if (!faults.empty()) yaml += "faults:\n" + std::string(faults);
  return load_scenario_string(yaml, "t.yaml");
}

// Start time of each peer, read from the event log.
std::map<std::string, TimePoint> start_times(const Scenario& s) {
  std::map<std::string, TimePoint> starts;
  RunOptions options;
  options.trace = [&](std::string_view line) {
    std::istringstream in{std::string(line)};
    std::int64_t at = 0;
    std::string peer, kind, name;
    in >> at >> peer >> kind >> name;
    if (kind == "start") starts.emplace(name, TimePoint(at));
  };
  run_simulation(s, options);
  return starts;
}

std::vector<std::string> leaders_at(const GroupReport& g, TimePoint at) {
  std::vector<std::string> out;
  for (const LeaderSpan& span : g.spans)
    if (span.from <= at && at < span.to) out.push_back(span.peer);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StartTimesTest, StartStepStartsPeersOneStepApartInScenarioOrder) {
  const auto starts = start_times(ideal4("10s", "", "  start_step: 2s\n"));
  EXPECT_EQ(starts.at("peer0.org1"), seconds(0));
  EXPECT_EQ(starts.at("peer1.org1"), seconds(2));
  EXPECT_EQ(starts.at("peer2.org1"), seconds(4));
  EXPECT_EQ(starts.at("peer3.org1"), seconds(6));
}

// election.md §5: with each peer starting after the previous one declared, the
// first started keeps leadership even with the highest ID (FAB-15463's shape).
TEST(StartTimesTest, StartAtOverridesAndTheFirstStartedPeerKeepsLeadership) {
  const Scenario s = ideal4("30s", "",
                            "  start_step: 1s\n"
                            "  start_at: {peer3.org1: 0s, peer2.org1: 6s, peer1.org1: 12s, "
                            "peer0.org1: 18s}\n");
  const auto starts = start_times(s);
  EXPECT_EQ(starts.at("peer3.org1"), seconds(0));
  EXPECT_EQ(starts.at("peer0.org1"), seconds(18));
  const SimResult r = testing::run_checked(s);
  EXPECT_EQ(group(r, "Org1MSP").leaders_at_end, Names{"peer3.org1"});
  EXPECT_EQ(group(r, "Org1MSP").changes.size(), 1u);
}

TEST(StartTimesTest, BootstrapFirstStartsTheBootstrapPeersAtZeroBeforeTheOthers) {
  const Scenario s = load_scenario_string(
      "duration: 5s\nnetwork:\n"
      "  orgs: [{name: a, msp_id: AMSP, peers: 3}, {name: b, msp_id: BMSP, peers: 3}]\n"
      "  channels: [{name: ch, orgs: [a, b]}]\n"
      "  start_step: 100ms\n  bootstrap_first: true\n",
      "b.yaml");
  EXPECT_EQ(load_scenario_string(to_yaml(s), "again").bootstrap_first, true);
  std::vector<std::string> order;
  RunOptions options;
  options.trace = [&](std::string_view line) {
    std::istringstream in{std::string(line)};
    std::int64_t at = 0;
    std::string peer, kind, name;
    in >> at >> peer >> kind >> name;
    if (kind == "start") order.push_back(name + "@" + std::to_string(at / 1'000'000));
  };
  run_simulation(s, options);
  EXPECT_EQ(order, (Names{"peer0.a@0", "peer0.b@0", "peer1.a@100", "peer2.a@200", "peer1.b@400",
                          "peer2.b@500"}));
}

// The start-up effect of docs/simulator.md: a peer that starts before its
// bootstrap peer retries only every reconnectInterval, so with Fabric's default
// timings several leaders coexist for ~25 s; bootstrap_first avoids it.
TEST(StartTimesTest, BootstrapFirstAvoidsSeveralLeadersAtStartUp) {
  const auto several = [](bool bootstrap_first) {
    const Scenario s = load_scenario_string(
        std::string("duration: 60s\nseed: 4\nnetwork:\n"
                    "  orgs: [{name: a, msp_id: AMSP, peers: 4}]\n"
                    "  channels: [{name: ch, orgs: [a]}]\n"
                    "  start_step: 50ms\n") +
            (bootstrap_first ? "  bootstrap_first: true\n" : "  start_at: {peer0.a: 500ms}\n") +
            "settings: {peer: {gossip: {useLeaderElection: true}}}\n",
        "startup.yaml");
    return run_simulation(s, {}).groups.at(0).time_with_several_leaders;
  };
  EXPECT_GT(several(false), seconds(15));
  EXPECT_LT(several(true), seconds(2));
}

TEST(TargetedLinkTest, LossOnTheLeadersLinksOnlyCutsItAndNobodyElse) {
  const Scenario s =
      ideal4("15s", "  - {at: 5s, kind: link, leader_of: {channel: ch, org: org1}, loss: 1}\n");
  const SimResult r = run_simulation(s, {});
  const GroupReport& g = group(r, "Org1MSP");
  // The followers lose the leader and elect peer1; peer0 hears nobody and keeps leading.
  EXPECT_EQ(testing::sorted(g.leaders_at_end), (Names{"peer0.org1", "peer1.org1"}));
  ASSERT_EQ(r.faults.size(), 1u);
  EXPECT_NE(r.faults[0].description.find("link of [peer0.org1] loss 1 (leader of ch/Org1MSP)"),
            std::string::npos)
      << r.faults[0].description;
}

TEST(TargetedLinkTest, APairLinkActsOnlyBetweenItsTwoPeers) {
  const Scenario s =
      ideal4("15s",
             "  - {at: 5s, kind: link, pair: [{leader_of: {channel: ch, org: org1}}, peer2.org1], "
             "loss: 1}\n");
  const SimResult r = run_simulation(s, {});
  // Only peer2 loses the leader: it elects itself; peer1 and peer3 still follow peer0.
  EXPECT_EQ(testing::sorted(group(r, "Org1MSP").leaders_at_end),
            (Names{"peer0.org1", "peer2.org1"}));
  const Scenario back = load_scenario_string(to_yaml(s), "again");
  ASSERT_EQ(back.faults.at(0).pair.size(), 2u);
  EXPECT_EQ(back.faults[0].pair, s.faults[0].pair);
}

TEST(TargetedLinkTest, BadTargetsAreOneLineErrors) {
  const auto error = [](std::string_view fault) {
    try {
      ideal4("15s", fault);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error("  - {at: 1s, kind: link, pair: [peer0.org1], loss: 1}\n").find("pair"),
            std::string::npos);
  EXPECT_NE(error("  - {at: 1s, kind: link, pair: [peer0.org1, peer1.org1], peer: peer2.org1, "
                  "loss: 1}\n")
                .find("one of them"),
            std::string::npos);
  EXPECT_NE(error("  - {at: 1s, kind: link, peer: peer9.org1, loss: 1}\n").find("peer9.org1"),
            std::string::npos);
  EXPECT_NE(error("  - {at: 1s, kind: crash, pair: [peer0.org1, peer1.org1]}\n").find("pair"),
            std::string::npos);
  EXPECT_NE(error("  - {at: 1s, kind: partition, sides: {a: [{leader_of: {channel: nope, org: "
                  "org1}}]}}\n")
                .find("unknown channel \"nope\""),
            std::string::npos);
}

TEST(LeaderOfPartitionTest, ASideGivenAsLeaderOfIsResolvedAtTheFaultsTime) {
  const Scenario s = ideal4("20s",
                            "  - {at: 5s, kind: crash, peer: peer0.org1}\n"
                            "  - {at: 10s, kind: partition, name: p, sides: {alone: [{leader_of: "
                            "{channel: ch, org: org1}}]}}\n");
  const SimResult r = run_simulation(s, {});
  ASSERT_EQ(r.faults.size(), 2u);
  // peer0 crashed at 5s, so the leader at 10s is the one elected after it.
  EXPECT_NE(r.faults[1].description.find("alone: [peer1.org1] (leader of ch/Org1MSP)"),
            std::string::npos)
      << r.faults[1].description;
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_EQ(failover_count(g), 2u);
  EXPECT_EQ(g.failovers[1].old_leader, "peer1.org1");
  ASSERT_TRUE(g.failovers[1].recovered_at);
  // One leader per reachable component: peer1 alone, peer2 for the rest.
  EXPECT_EQ(g.failovers[1].new_leader, "peer1.org1,peer2.org1");
}

TEST(LeaderOfPartitionTest, AMuteLeaderLosesItsFollowersUntilTheHeal) {
  const Scenario s =
      ideal4("25s",
             "  - {at: 5s, kind: partition, name: mute, one_way: {from: [{leader_of: {channel: "
             "ch, org: org1}}], to: [peer1.org1, peer2.org1, peer3.org1]}}\n"
             "  - {at: 15s, kind: heal, name: mute}\n");
  const SimResult r = run_simulation(s, {});
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_EQ(g.failovers.size(), 1u);
  EXPECT_FALSE(g.failovers[0].leader_kept);
  EXPECT_EQ(g.failovers[0].old_leader, "peer0.org1");
  // peer1 leads the followers, peer0 still leads (it hears peer1, a higher ID):
  // two leaders in one component until the heal.
  EXPECT_EQ(leaders_at(g, seconds(12)), (Names{"peer0.org1", "peer1.org1"}));
  ASSERT_TRUE(g.failovers[0].recovered_at);
  EXPECT_GE(*g.failovers[0].recovered_at, seconds(15));
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
}

// The ideal model sees a peer when its messages arrive (one way, forwarded by
// up peers), as Fabric's alive messages make it known: a deaf leader still learns
// of its followers through org2's peers, keeps declaring to them and keeps them.
TEST(OneWayReachabilityTest, ADeafLeaderKeepsItsFollowersAndTheReportSaysNoChange) {
  Scenario s =
      testing::small_scenario(2, 4, "20s",
                              "  - {at: 5s, kind: partition, name: deaf, one_way: {from: "
                              "[peer1.org1, peer2.org1, peer3.org1], to: [peer0.org1]}}\n");
  s.membership = MembershipModel::kIdeal;
  const SimResult r = run_simulation(s, {});
  const GroupReport& g = group(r, "Org1MSP");
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
  EXPECT_EQ(g.changes.size(), 1u) << "nobody else ever led";
  ASSERT_EQ(g.failovers.size(), 1u);
  EXPECT_TRUE(g.failovers[0].leader_kept);
  EXPECT_EQ(failover_count(g), 0u);
  EXPECT_EQ(failover_stats({r}).back().count, 0u);
  EXPECT_EQ(group(r, "Org2MSP").failovers.size(), 0u) << "org2 was not touched";
}

// Without a peer to forward, a deaf leader hears nobody, so it declares to
// nobody (its view is empty) and its followers elect another: as in Fabric once
// the followers' alive messages expire.
TEST(OneWayReachabilityTest, WithoutRelaysADeafLeaderLosesItsFollowers) {
  const Scenario s = ideal4("20s",
                            "  - {at: 5s, kind: partition, name: deaf, one_way: {from: "
                            "[peer1.org1, peer2.org1, peer3.org1], to: [peer0.org1]}}\n");
  const SimResult r = run_simulation(s, {});
  EXPECT_EQ(testing::sorted(group(r, "Org1MSP").leaders_at_end),
            (Names{"peer0.org1", "peer1.org1"}));
}

TEST(ScenarioFeaturesTest, NewKeysRoundTripThroughTheWriter) {
  const Scenario s =
      ideal4("30s",
             "  - {at: 5s, kind: partition, sides: {x: [peer1.org1, {leader_of: {channel: ch, org: "
             "Org1MSP}}]}}\n"
             "  - {at: 6s, kind: partition, one_way: {from: {leader_of: {channel: ch, org: org1}}, "
             "to: [peer3.org1]}}\n"
             "  - {at: 7s, kind: link, peers: [peer1.org1, peer2.org1], latency: 1s}\n"
             "  - {at: 8s, kind: heal}\n",
             "  start_step: 250ms\n  start_at: {peer2.org1: 3s}\n");
  const std::string yaml = to_yaml(s);
  const Scenario back = load_scenario_string(yaml, "again");
  EXPECT_EQ(to_yaml(back), yaml);
  EXPECT_EQ(back.start_step, milliseconds(250));
  EXPECT_EQ(back.start_at, s.start_at);
  EXPECT_EQ(back.faults[0].sides, s.faults[0].sides);
  EXPECT_EQ(back.faults[1].one_way_from.leaders_of.size(), 1u);
  EXPECT_EQ(back.faults[2].peers, (Names{"peer1.org1", "peer2.org1"}));
}

}  // namespace
}  // namespace fabnet::sim
