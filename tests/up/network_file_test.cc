// network.yaml of `fabnet up`: the default parses to the network the issue asks
// for, and every bad input is one line naming the key.

#include <gtest/gtest.h>

#include <string>

#include "up/layout.h"
#include "up/network_file.h"

namespace fabnet::up {
namespace {

using namespace std::chrono_literals;

TEST(UpNetworkFile, TheDefaultIsOneOrdererTwoChannelsThreeOrgsOfThreePeers) {
  const NetworkFile net = default_network();
  ASSERT_EQ(net.orgs.size(), 3u);
  EXPECT_EQ(net.peer_count(), 9);
  ASSERT_EQ(net.channels.size(), 2u);
  for (const auto& c : net.channels) EXPECT_EQ(c.orgs.size(), 3u) << c.name;
  EXPECT_EQ(net.timings.startup_grace, 15s);
  EXPECT_EQ(net.timings.leader_alive_threshold, 10s);
  EXPECT_EQ(net.timings.leader_election_duration, 5s);
  EXPECT_EQ(net.timings.membership_sample, 1s);
  EXPECT_EQ(net.load.rate, 10);
  EXPECT_FALSE(net.tls);
  EXPECT_EQ(net.ports_base, 7050);
}

TEST(UpNetworkFile, AChannelWithoutOrgsHasEveryOrgAndTimingsAreOptional) {
  const NetworkFile net = parse_network_file(
      "orgs: [{name: Org1, peers: 2}, {name: Org2}]\n"
      "channels: [{name: a}, {name: b, orgs: [Org2]}]\n"
      "election: {leaderAliveThreshold: 2s}\nports: {base: 30000}\n",
      "t.yaml");
  EXPECT_EQ(net.orgs[0].peers, 2);
  EXPECT_EQ(net.orgs[1].peers, 3);
  EXPECT_EQ(net.channels[0].orgs, (std::vector<std::string>{"Org1", "Org2"}));
  EXPECT_EQ(net.channels[1].orgs, (std::vector<std::string>{"Org2"}));
  EXPECT_EQ(net.timings.leader_alive_threshold, 2s);
  EXPECT_EQ(net.timings.startup_grace, 15s);
  EXPECT_EQ(net.ports_base, 30000);
}

struct BadCase {
  const char* yaml;
  const char* key;  // the message names it
  const char* why;  // and says this
};

class UpNetworkFileErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(UpNetworkFileErrors, OneLineNamingTheKey) {
  const BadCase& c = GetParam();
  try {
    parse_network_file(c.yaml, "net.yaml");
    FAIL() << "accepted: " << c.yaml;
  } catch (const UpConfigError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.rfind("net.yaml: ", 0), 0u) << message;
    EXPECT_NE(message.find(c.key), std::string::npos) << message;
    EXPECT_NE(message.find(c.why), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, UpNetworkFileErrors,
    ::testing::Values(
        BadCase{"channels: [{name: c}]\n", "orgs", "missing"},
        BadCase{"orgs: [{name: Org1, peers: x}]\nchannels: [{name: c}]\n", "orgs[0].peers",
                "not a whole number"},
        BadCase{"orgs: [{name: Org1, peers: 0}]\nchannels: [{name: c}]\n", "orgs[0].peers",
                "out of range"},
        BadCase{"orgs: [{name: Org1}, {name: org1}]\nchannels: [{name: c}]\n", "orgs[1].name",
                "twice"},
        BadCase{"orgs: [{name: Org1, peer: 2}]\nchannels: [{name: c}]\n", "orgs[0].peer",
                "unknown key"},
        BadCase{"orgs: [{name: Org1}]\n", "channels", "missing"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c, orgs: [Org9]}]\n",
                "channels[0].orgs[0]", "not an org"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: Chan}]\n", "channels[0].name",
                "lower case"},
        BadCase{
            "orgs: [{name: Org1}]\nchannels: [{name: c}]\nelection: {leaderAliveThreshold: 10}\n",
            "election.leaderAliveThreshold", "not a Go duration"},
        BadCase{
            "orgs: [{name: Org1}]\nchannels: [{name: c}]\nelection: {leaderAliveThreshold: 0s}\n",
            "election.leaderAliveThreshold", "not positive"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\nload: {rate: fast}\n", "load.rate",
                "not a number"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\ntls: true\n", "tls", "not supported"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\ntls: maybe\n", "tls",
                "not a boolean"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\nports: {base: 80}\n", "ports.base",
                "out of range"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\nports: {base: 65530}\n", "ports.base",
                "no room"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\ncolour: red\n", "colour",
                "unknown key"},
        BadCase{
            "orgs: [{name: Org1}]\nchannels: [{name: c}]\ngossip: {aliveExpirationTimeout: 1s}\n",
            "gossip.aliveExpirationTimeout", "not longer"},
        BadCase{"orgs: [{name: Org1\n", "line", "not YAML"}));

TEST(UpLayout, PortsRunFromTheBaseAndEveryPeerJoinsItsOrgsChannels) {
  const NetworkFile net = parse_network_file(
      "orgs: [{name: Org1, peers: 2}, {name: Org2, peers: 1}]\n"
      "channels: [{name: a}, {name: b, orgs: [Org2]}]\nports: {base: 30000}\n",
      "t.yaml");
  const Layout layout = plan_layout(net, "/tmp/x");
  ASSERT_EQ(layout.nodes.size(), 4u);
  EXPECT_EQ(layout.nodes[0].name, "orderer");
  EXPECT_EQ(layout.nodes[0].listen_port, 30000);
  EXPECT_EQ(layout.nodes[0].ops_port, 30001);
  EXPECT_EQ(layout.nodes[1].name, "peer0.org1");
  EXPECT_EQ(layout.nodes[1].listen_port, 30002);
  EXPECT_EQ(layout.nodes[3].name, "peer0.org2");
  EXPECT_EQ(layout.nodes[3].ops_port, 30007);
  EXPECT_EQ(layout.nodes[1].channels, (std::vector<std::string>{"a"}));
  EXPECT_EQ(layout.nodes[3].channels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(layout.orderer_endpoint, "127.0.0.1:30000");
}

}  // namespace
}  // namespace fabnet::up
