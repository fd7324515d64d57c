#include "sim/scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sim/simulation.h"

namespace fabnet::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A small valid scenario; tests splice one bad line into it.
constexpr std::string_view kBase = R"(name: small
duration: 1m
network:
  orgs:
    - {name: org1, msp_id: Org1MSP, peers: 4}
    - {name: org2, msp_id: Org2MSP, peers: 2}
  channels:
    - {name: ch1, orgs: [org1, org2]}
    - {name: ch2, orgs: [org1]}
settings:
  peer:
    gossip:
      useLeaderElection: true
)";

std::string load_error(std::string_view yaml) {
  try {
    load_scenario_string(yaml, "test.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string with(std::string_view extra) {
  return std::string(kBase) + std::string(extra);
}

TEST(ScenarioTest, DefaultScenarioHasTheDocumentedShape) {
  const Scenario s = default_scenario();
  EXPECT_EQ(s.name, "default");
  EXPECT_EQ(s.duration, minutes(10));
  ASSERT_EQ(s.orgs.size(), 3u);
  EXPECT_EQ(s.orgs[0].msp_id, "Org1MSP");
  EXPECT_EQ(s.orgs[2].peers, 4);
  EXPECT_EQ(s.channels.size(), 2u);
  EXPECT_TRUE(s.settings.gossip.use_leader_election);
  EXPECT_FALSE(s.settings.gossip.org_leader);
  EXPECT_EQ(s.settings.gossip.election.leader_alive_threshold, seconds(10));
  EXPECT_EQ(s.faults.size(), 7u);
  ASSERT_TRUE(s.faults[0].leader_of.has_value());
  EXPECT_EQ(s.faults[0].kind, FaultKind::kCrash);
  EXPECT_EQ(scenario_peers(s).size(), 12u);
}

TEST(ScenarioTest, PeersJoinEveryChannelOfTheirOrgUnlessJoinsSaysOtherwise) {
  std::vector<PeerSpec> peers = scenario_peers(load_scenario_string(kBase, "t"));
  ASSERT_EQ(peers.size(), 6u);
  EXPECT_EQ(peers[0].name, "peer0.org1");
  EXPECT_EQ(peers[0].channels, (std::vector<std::string>{"ch1", "ch2"}));
  EXPECT_EQ(peers[5].name, "peer1.org2");
  EXPECT_EQ(peers[5].channels, (std::vector<std::string>{"ch1"}));

  std::string yaml(kBase);
  yaml.insert(yaml.find("settings:"), "  joins:\n    peer1.org1: [ch2]\n    peer2.org1: []\n");
  peers = scenario_peers(load_scenario_string(yaml, "t"));
  EXPECT_EQ(peers[1].channels, (std::vector<std::string>{"ch2"}));
  EXPECT_TRUE(peers[2].channels.empty());
}

TEST(ScenarioTest, ToYamlRoundTripsTheDefaultScenario) {
  const Scenario s = default_scenario();
  const std::string yaml = to_yaml(s);
  const Scenario back = load_scenario_string(yaml, "round-trip");
  EXPECT_EQ(to_yaml(back), yaml);
  EXPECT_EQ(back.seed, s.seed);
  EXPECT_EQ(back.faults.size(), s.faults.size());
  EXPECT_EQ(back.faults[2].sides, s.faults[2].sides);
  EXPECT_EQ(back.link.loss, s.link.loss);
}

TEST(ScenarioTest, ToYamlRoundTripsRandomScenarios) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const Scenario s = random_scenario(seed);
    const std::string yaml = to_yaml(s);
    SCOPED_TRACE(yaml);
    const Scenario back = load_scenario_string(yaml, "round-trip");
    EXPECT_EQ(to_yaml(back), yaml);
    EXPECT_EQ(back.settings.gossip.pull_interval, s.settings.gossip.pull_interval);
    EXPECT_EQ(back.joins, s.joins);
  }
}

TEST(ScenarioTest, RandomScenariosStayInRangeAndLastLongEnoughToSettle) {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const Scenario s = random_scenario(seed);
    EXPECT_GE(s.orgs.size(), 1u);
    EXPECT_LE(s.orgs.size(), 4u);
    EXPECT_GE(s.channels.size(), 1u);
    EXPECT_LE(s.channels.size(), 3u);
    for (const OrgSpec& org : s.orgs) {
      EXPECT_GE(org.peers, 1);
      EXPECT_LE(org.peers, 8);
    }
    EXPECT_LE(s.link.loss, 0.05);
    Duration last{0};
    for (const Fault& f : s.faults) {
      last = std::max(last, f.at);
      if (f.kind == FaultKind::kSkew) {
        EXPECT_GE(f.rate, 0.95);
        EXPECT_LE(f.rate, 1.05);
      }
    }
    EXPECT_GE(s.duration, last + settling_time(s) + transient_allowance(s));
  }
  EXPECT_EQ(to_yaml(random_scenario(7)), to_yaml(random_scenario(7)));
  EXPECT_NE(to_yaml(random_scenario(7)), to_yaml(random_scenario(8)));
}

TEST(ScenarioTest, UnknownTopLevelKeyIsNamedWithItsLineAndTheAllowedKeys) {
  EXPECT_THAT(load_error(with("durration: 5m\n")),
              AllOf(HasSubstr("test.yaml:14: durration: unknown key"),
                    HasSubstr("expected one of: name, seed, duration, membership, network, "
                              "settings, link, blocks, faults")));
}

TEST(ScenarioTest, UnknownNestedKeyIsNamedByItsPath) {
  std::string yaml(kBase);
  yaml.replace(yaml.find("msp_id: Org2MSP"), 6, "mspid");
  EXPECT_THAT(load_error(yaml), AllOf(HasSubstr("test.yaml:6: network.orgs[1].mspid: unknown key"),
                                      HasSubstr("expected one of: name, msp_id, peers")));
}

TEST(ScenarioTest, UnknownLinkKeyIsRejected) {
  EXPECT_THAT(load_error(with("link: {lose: 0.1}\n")),
              AllOf(HasSubstr("link.lose: unknown key"),
                    HasSubstr("expected one of: latency, jitter, loss, duplicate")));
}

TEST(ScenarioTest, UnknownFaultKeyListsTheKeysOfThatKind) {
  EXPECT_THAT(load_error(with("faults:\n  - {at: 5s, kind: crash, peer: peer0.org1, rate: 2}\n")),
              AllOf(HasSubstr("faults[0].rate: unknown key for a crash fault"),
                    HasSubstr("expected one of: at, kind, peer, peers, leader_of")));
  EXPECT_THAT(load_error(with("faults:\n  - {at: 5s, kind: explode}\n")),
              AllOf(HasSubstr("faults[0].kind: unknown fault kind \"explode\""),
                    HasSubstr("crash, restart, pause, resume, partition, heal, skew, link")));
}

TEST(ScenarioTest, UnknownSettingsKeyIsRejected) {
  EXPECT_THAT(load_error(with("      electoin:\n        leaderAliveThreshold: 5s\n")),
              AllOf(HasSubstr("settings.peer.gossip.electoin: unknown key"),
                    HasSubstr("useLeaderElection")));
}

TEST(ScenarioTest, UnknownPeerInAFaultNamesThePeerAndTheValidRange) {
  EXPECT_THAT(load_error(with("faults:\n  - {at: 5s, kind: crash, peer: peer9.org1}\n")),
              AllOf(HasSubstr("test.yaml:15: faults[0].peer: unknown peer \"peer9.org1\""),
                    HasSubstr("org1 has peer0 to peer3")));
  EXPECT_THAT(
      load_error(with("faults:\n  - {at: 5s, kind: partition, sides: {a: [peer0.org1, ghost]}}\n")),
      HasSubstr("faults[0].sides.a[1]: unknown peer \"ghost\""));
}

TEST(ScenarioTest, NegativeOrUnparsableTimeIsRejected) {
  EXPECT_THAT(load_error(with("faults:\n  - {at: -5s, kind: crash, peer: peer0.org1}\n")),
              AllOf(HasSubstr("faults[0].at: negative time \"-5s\""),
                    HasSubstr("expected a Go duration from the start of the run")));
  EXPECT_THAT(load_error(with("faults:\n  - {at: soon, kind: heal}\n")),
              HasSubstr("faults[0].at: invalid duration \"soon\""));
  EXPECT_THAT(load_error(with("faults:\n  - {at: 5, kind: heal}\n")),
              HasSubstr("faults[0].at: invalid duration \"5\": missing unit"));
}

TEST(ScenarioTest, FaultAfterTheEndOfTheRunIsRejected) {
  EXPECT_THAT(load_error(with("faults:\n  - {at: 2m, kind: heal}\n")),
              HasSubstr("faults[0].at: 2m0s is after the end of the run (duration 1m0s)"));
}

TEST(ScenarioTest, ProbabilityOutsideZeroToOneIsRejected) {
  EXPECT_THAT(load_error(with("link: {loss: 1.5}\n")),
              AllOf(HasSubstr("link.loss: probability 1.5 is out of range"),
                    HasSubstr("expected a probability from 0 to 1")));
  EXPECT_THAT(load_error(with("link: {duplicate: often}\n")),
              HasSubstr("link.duplicate: not a number: \"often\""));
}

TEST(ScenarioTest, SettingsAreValidatedByTheCoreConfigLoader) {
  EXPECT_THAT(load_error(with("      election:\n        leaderAliveThreshold: 10\n")),
              AllOf(HasSubstr("test.yaml:15: settings.peer.gossip.election.leaderAliveThreshold"),
                    HasSubstr("invalid duration \"10\": missing unit")));
  EXPECT_THAT(
      load_error(with("      orgLeader: true\n")),
      AllOf(HasSubstr("settings.peer.gossip.useLeaderElection"),
            HasSubstr("both useLeaderElection (test.yaml:13) and orgLeader (test.yaml:14)")));
}

TEST(ScenarioTest, CoreConfigDefaultsAndDerivationsApply) {
  const Scenario s = load_scenario_string(with("      aliveTimeInterval: 2s\n"), "t");
  EXPECT_EQ(s.settings.gossip.alive_time_interval, seconds(2));
  // Fabric derives the expiration (5 x alive) and reconnect (= expiration) defaults.
  EXPECT_EQ(s.settings.gossip.alive_expiration_timeout, seconds(10));
  EXPECT_EQ(s.settings.gossip.reconnect_interval, seconds(10));
  EXPECT_EQ(s.settings.gossip.election.startup_grace_period, seconds(15));
}

TEST(ScenarioTest, CrossReferencesAreChecked) {
  std::string yaml(kBase);
  yaml.insert(yaml.find("settings:"), "  joins:\n    peer0.org2: [ch2]\n");
  EXPECT_THAT(load_error(yaml), HasSubstr("peer0.org2's org org2 is not a member of channel ch2"));
  EXPECT_THAT(load_error(with(
                  "faults:\n  - {at: 5s, kind: crash, leader_of: {channel: ch2, org: org2}}\n")),
              HasSubstr("faults[0].leader_of.org: org org2 is not a member of channel ch2"));
  EXPECT_THAT(load_error(with("faults:\n  - {at: 5s, kind: heal, name: nope}\n")),
              HasSubstr("faults[0].name: no partition is named \"nope\""));
  EXPECT_THAT(load_error(with("faults:\n  - {at: 5s, kind: skew, peer: peer0.org1, rate: 0}\n")),
              HasSubstr("faults[0].rate: clock rate 0 is out of range"));
  EXPECT_THAT(load_error(with("faults:\n  - {at: 5s, kind: crash}\n")),
              HasSubstr("faults[0].peer: a crash fault needs a target"));
}

TEST(ScenarioTest, FaultsAreOrderedByTime) {
  const Scenario s = load_scenario_string(
      with("faults:\n  - {at: 20s, kind: restart}\n  - {at: 10s, kind: crash, peer: peer0.org1}\n"),
      "t");
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].kind, FaultKind::kCrash);
  EXPECT_EQ(s.faults[1].at, seconds(20));
}

TEST(ScenarioTest, MalformedYamlReportsThePosition) {
  EXPECT_THAT(load_error("network: [\n"), HasSubstr("test.yaml:2:1: malformed YAML"));
  EXPECT_THAT(load_error(""), HasSubstr("empty scenario"));
}

}  // namespace
}  // namespace fabnet::sim
