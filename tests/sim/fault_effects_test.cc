// Each fault kind's expected effect on the elections (issue 3, §4), run through
// the whole node logic on the simulated network, in virtual time.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>

#include "election/message.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "sim_test_util.h"

namespace fabnet::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::group;
using testing::leadership_changes_after;
using testing::small_scenario;
using testing::sorted;
using Names = std::vector<std::string>;

SimResult run(const Scenario& scenario) {
  return testing::run_checked(scenario);
}

const std::string& lower_id(const std::string& a, const std::string& b) {
  return election::id_less(a, b) ? a : b;
}

TEST(FaultEffectsTest, WithoutFaultsTheLowestIdLeadsEachOrg) {
  const SimResult r = run(small_scenario(2, 4, "15s", ""));
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(group(r, "Org1MSP").leaders_at_end, Names{"peer0.org1"});
  EXPECT_EQ(group(r, "Org2MSP").leaders_at_end, Names{"peer0.org2"});
  EXPECT_TRUE(group(r, "Org1MSP").time_to_first_leader.has_value());
  EXPECT_GT(r.messages.count.at("alive_msg"), 0u);
  EXPECT_GT(r.messages.count.at("leadership_msg"), 0u);
}

TEST(FaultEffectsTest, PartitionGivesOneLeaderPerSidePerOrg) {
  // The run ends while the partition holds, so leaders_at_end is the split state.
  const SimResult r = run(small_scenario(
      2, 4, "25s",
      "  - {at: 10s, kind: partition, sides: {west: [peer0.org1, peer1.org1, peer0.org2, "
      "peer1.org2], east: [peer2.org1, peer3.org1, peer2.org2, peer3.org2]}}\n"));
  for (const std::string org : {"1", "2"}) {
    const GroupReport& g = group(r, "Org" + org + "MSP");
    ASSERT_EQ(g.leaders_at_end.size(), 2u) << org;
    EXPECT_EQ(g.leaders_at_end[0], "peer0.org" + org);
    EXPECT_TRUE(g.leaders_at_end[1] == "peer2.org" + org ||
                g.leaders_at_end[1] == "peer3.org" + org);
    ASSERT_EQ(g.failovers.size(), 1u);
    EXPECT_EQ(g.failovers[0].cause, "partition");
    EXPECT_EQ(g.failovers[0].old_leader, "peer0.org" + org);
    EXPECT_TRUE(g.failovers[0].recovered_at.has_value());
    EXPECT_GT(g.time_with_several_leaders, Duration::zero());
  }
}

TEST(FaultEffectsTest, HealLeavesOneLeaderTheLowestId) {
  const SimResult r = run(small_scenario(
      2, 4, "40s",
      "  - {at: 10s, kind: partition, name: split, sides: {west: [peer0.org1, peer1.org1, "
      "peer0.org2, peer1.org2]}}\n"
      "  - {at: 22s, kind: heal, name: split}\n"));
  EXPECT_EQ(group(r, "Org1MSP").leaders_at_end, Names{"peer0.org1"});
  EXPECT_EQ(group(r, "Org2MSP").leaders_at_end, Names{"peer0.org2"});
  // The east leader stepped down after the heal.
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_FALSE(g.changes.empty());
  EXPECT_FALSE(g.changes.back().is_leader);
  EXPECT_GT(g.changes.back().at, seconds(22));
}

TEST(FaultEffectsTest, OneWayPartitionFromTheLeaderMakesASecondLeaderUntilHealed) {
  // The others stop hearing peer0; peer0 still hears them but only a lower
  // declaration would make it step down.
  const Scenario during = small_scenario(
      1, 4, "25s",
      "  - {at: 10s, kind: partition, name: mute, one_way: {from: [peer0.org1], to: [peer1.org1, "
      "peer2.org1, peer3.org1]}}\n");
  const SimResult split = run(during);
  const GroupReport& g = group(split, "Org1MSP");
  ASSERT_EQ(g.leaders_at_end.size(), 2u);
  EXPECT_EQ(g.leaders_at_end[0], "peer0.org1");

  const SimResult healed = run(small_scenario(
      1, 4, "40s",
      "  - {at: 10s, kind: partition, name: mute, one_way: {from: [peer0.org1], to: [peer1.org1, "
      "peer2.org1, peer3.org1]}}\n"
      "  - {at: 25s, kind: heal}\n"));
  EXPECT_EQ(group(healed, "Org1MSP").leaders_at_end, Names{"peer0.org1"});
}

TEST(FaultEffectsTest, CrashOfTheLeaderFailsOverWithinTheElectionBound) {
  const Scenario s = small_scenario(
      1, 4, "25s", "  - {at: 10s, kind: crash, leader_of: {channel: ch, org: org1}}\n");
  const SimResult r = run(s);
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_EQ(g.failovers.size(), 1u);
  const FailoverRecord& f = g.failovers[0];
  EXPECT_EQ(f.cause, "crash");
  EXPECT_EQ(f.old_leader, "peer0.org1");
  ASSERT_TRUE(f.duration().has_value());
  // election.md §5: between LAT/2 + LED and 2 LAT + LED after the crash, plus
  // message delay (latency + jitter on either end).
  const auto& e = s.settings.gossip.election;
  const Duration delay = 2 * (s.link.latency + s.link.jitter);
  EXPECT_GE(*f.duration(), e.leader_alive_threshold / 2 + e.leader_election_duration - delay);
  EXPECT_LE(*f.duration(), 2 * e.leader_alive_threshold + e.leader_election_duration + delay);
  EXPECT_NE(f.new_leader, "peer0.org1");
  EXPECT_EQ(g.leaders_at_end, Names{f.new_leader});
  EXPECT_EQ(r.faults.at(0).peers, Names{"peer0.org1"});
}

TEST(FaultEffectsTest, CrashOfAFollowerChangesNothing) {
  const SimResult r =
      run(small_scenario(1, 4, "20s", "  - {at: 10s, kind: crash, peer: peer2.org1}\n"));
  const GroupReport& g = group(r, "Org1MSP");
  EXPECT_TRUE(g.failovers.empty());
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
  EXPECT_EQ(g.time_without_leader, Duration::zero());
}

TEST(FaultEffectsTest, RestartedPeerRejoinsAsFollowerWhenALeaderExists) {
  // peer0 has the lowest ID, yet after its restart it sees the new leader's
  // declarations during start-up and follows (election.md §5, staggered start).
  const SimResult r = run(small_scenario(1, 4, "40s",
                                         "  - {at: 10s, kind: crash, peer: peer0.org1}\n"
                                         "  - {at: 20s, kind: restart, peer: peer0.org1}\n"));
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_EQ(g.failovers.size(), 1u);
  const std::string& successor = g.failovers[0].new_leader;
  EXPECT_NE(successor, "peer0.org1");
  EXPECT_EQ(g.leaders_at_end, Names{successor});
  EXPECT_EQ(leadership_changes_after(g, "peer0.org1", TimePoint(seconds(20))), 0u)
      << "restarted peer took over";
}

TEST(FaultEffectsTest, PausedLeaderFailsOverAndOnResumeTheLowerIdKeepsIt) {
  const SimResult paused = run(small_scenario(
      1, 4, "20s", "  - {at: 10s, kind: pause, leader_of: {channel: ch, org: org1}}\n"));
  const GroupReport& during = group(paused, "Org1MSP");
  ASSERT_EQ(during.failovers.size(), 1u);
  EXPECT_EQ(during.failovers[0].cause, "pause");
  EXPECT_TRUE(during.failovers[0].recovered_at.has_value());
  EXPECT_NE(during.failovers[0].new_leader, "peer0.org1");
  EXPECT_EQ(during.leaders_at_end, Names{during.failovers[0].new_leader});

  // On resume the old leader wakes still leading: two leaders, until the higher
  // ID hears the lower one's declaration and steps down.
  const SimResult resumed =
      run(small_scenario(1, 4, "35s",
                         "  - {at: 10s, kind: pause, leader_of: {channel: ch, org: org1}}\n"
                         "  - {at: 20s, kind: resume}\n"));
  const GroupReport& g = group(resumed, "Org1MSP");
  ASSERT_EQ(g.failovers.size(), 1u);
  EXPECT_EQ(g.leaders_at_end,
            Names{lower_id(g.failovers[0].old_leader, g.failovers[0].new_leader)});
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
  EXPECT_GT(g.time_with_several_leaders, Duration::zero());
}

TEST(FaultEffectsTest, PausedFollowerThatResumesDoesNotDisturbTheLeader) {
  const SimResult r = run(small_scenario(1, 4, "35s",
                                         "  - {at: 10s, kind: pause, peer: peer3.org1}\n"
                                         "  - {at: 20s, kind: resume, peer: peer3.org1}\n"));
  const GroupReport& g = group(r, "Org1MSP");
  EXPECT_TRUE(g.failovers.empty());
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
}

// Declarations one peer sent in [from, to), read from the event log.
int declarations(const Scenario& s, const std::string& peer_index, Duration from, Duration to) {
  int count = 0;
  RunOptions options;
  options.trace = [&](std::string_view line) {
    // "<time ns> <peer> <kind> <detail> <number>"
    std::istringstream in{std::string(line)};
    long long at = 0;
    std::string peer, kind;
    in >> at >> peer >> kind;
    if (peer == peer_index && kind == "declaration" && Duration(at) >= from && Duration(at) < to) {
      ++count;
    }
  };
  run_simulation(s, options);
  return count;
}

TEST(FaultEffectsTest, SkewedClockRunsTheNodesTimersFaster) {
  // The leader re-declares every LAT/2 of its own clock: twice as often at rate 2.
  const int normal = declarations(small_scenario(1, 3, "30s", ""), "0", seconds(10), seconds(30));
  const int fast = declarations(
      small_scenario(1, 3, "30s", "  - {at: 10s, kind: skew, peer: peer0.org1, rate: 2}\n"), "0",
      seconds(10), seconds(30));
  EXPECT_NEAR(normal, 40, 2);
  EXPECT_NEAR(fast, 80, 3);
}

TEST(FaultEffectsTest, SmallSkewKeepsOneLeader) {
  const SimResult r =
      run(small_scenario(1, 4, "30s",
                         "  - {at: 5s, kind: skew, peer: peer0.org1, rate: 0.95}\n"
                         "  - {at: 5s, kind: skew, peer: peer1.org1, rate: 1.05}\n"));
  const GroupReport& g = group(r, "Org1MSP");
  EXPECT_EQ(g.leaders_at_end, Names{"peer0.org1"});
  EXPECT_TRUE(g.failovers.empty());
}

TEST(FaultEffectsTest, TotalLossIsolatesEveryPeerAndRecoveryLeavesOneLeader) {
  const Scenario cut_off = small_scenario(1, 4, "20s", "  - {at: 8s, kind: link, loss: 1}\n");
  const SimResult isolated = run_simulation(cut_off, RunOptions{});
  EXPECT_EQ(sorted(group(isolated, "Org1MSP").leaders_at_end),
            (Names{"peer0.org1", "peer1.org1", "peer2.org1", "peer3.org1"}));
  EXPECT_GT(isolated.messages.lost, 0u);

  const SimResult recovered = run(small_scenario(1, 4, "40s",
                                                 "  - {at: 8s, kind: link, loss: 1}\n"
                                                 "  - {at: 20s, kind: link, loss: 0}\n"));
  EXPECT_EQ(group(recovered, "Org1MSP").leaders_at_end, Names{"peer0.org1"});
}

TEST(FaultEffectsTest, LeaderOfTargetsWhoeverLeadsAtThatMoment) {
  // The second crash hits the successor of the first.
  const SimResult r =
      run(small_scenario(1, 4, "30s",
                         "  - {at: 10s, kind: crash, leader_of: {channel: ch, org: Org1MSP}}\n"
                         "  - {at: 18s, kind: crash, leader_of: {channel: ch, org: org1}}\n"));
  ASSERT_EQ(r.faults.size(), 2u);
  EXPECT_EQ(r.faults[0].peers, Names{"peer0.org1"});
  ASSERT_EQ(r.faults[1].peers.size(), 1u);
  const GroupReport& g = group(r, "Org1MSP");
  ASSERT_EQ(g.failovers.size(), 2u);
  EXPECT_EQ(g.failovers[1].old_leader, g.failovers[0].new_leader);
  EXPECT_EQ(r.faults[1].peers[0], g.failovers[0].new_leader);
  EXPECT_EQ(g.leaders_at_end.size(), 1u);
}

TEST(FaultEffectsTest, MultiOrgChannelElectionsStayWithinTheirOrg) {
  const SimResult r = run(small_scenario(3, 3, "15s", ""));
  ASSERT_EQ(r.groups.size(), 3u);
  for (const GroupReport& g : r.groups) {
    ASSERT_EQ(g.leaders_at_end.size(), 1u);
    EXPECT_NE(std::find(g.peers.begin(), g.peers.end(), g.leaders_at_end[0]), g.peers.end());
  }
}

}  // namespace
}  // namespace fabnet::sim

namespace fabnet::sim {
namespace {

// Trace events of one kind from one peer (index as text), at their times.
std::vector<Duration> events_of(const Scenario& s, const std::string& peer_index,
                                const std::string& kind) {
  std::vector<Duration> times;
  RunOptions options;
  options.trace = [&](std::string_view line) {
    std::istringstream in{std::string(line)};
    long long at = 0;
    std::string peer, what, detail;
    in >> at >> peer >> what >> detail;
    if (peer == peer_index && what == kind) times.push_back(Duration(at));
  };
  run_simulation(s, options);
  return times;
}

TEST(ScenarioSettingsTest, DiscoveryTimingsFromTheScenarioDriveTheNodes) {
  // Two peers: peer0's alive messages all go to peer1, one per aliveTimeInterval.
  auto alive_sends = [](std::string_view interval) {
    std::string yaml = to_yaml(testing::small_scenario(1, 2, "20s", ""));
    yaml.replace(yaml.find("aliveTimeInterval: 500ms"), 24,
                 "aliveTimeInterval: " + std::string(interval));
    int count = 0;
    RunOptions options;
    options.trace = [&](std::string_view line) {
      std::istringstream in{std::string(line)};
      long long at = 0;
      std::string peer, what, detail;
      in >> at >> peer >> what >> detail;
      if (peer == "0" && what == "send" && detail == "alive_msg" && Duration(at) >= seconds(5) &&
          Duration(at) < seconds(15)) {
        ++count;
      }
    };
    run_simulation(load_scenario_string(yaml, "t"), options);
    return count;
  };
  EXPECT_NEAR(alive_sends("500ms"), 20, 1);
  EXPECT_NEAR(alive_sends("1s"), 10, 1);
}

TEST(ScenarioSettingsTest, CrashedPeerExpiresAfterTheAliveExpirationTimeout) {
  // peer1 crashes at 10s; peer0 declares it dead once aliveExpirationTimeout
  // (2.5s) has passed since its last alive message, checked every 250ms.
  const std::vector<Duration> dead = events_of(
      testing::small_scenario(1, 2, "20s", "  - {at: 10s, kind: crash, peer: peer1.org1}\n"), "0",
      "member_dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_GE(dead[0], milliseconds(12000));
  EXPECT_LE(dead[0], milliseconds(10000 + 2500 + 250 + 20));
}

}  // namespace
}  // namespace fabnet::sim
