// network.yaml of `fabnet up`: the default parses to the network the issue asks
// for, and every bad input is one line naming the key.

#include <gtest/gtest.h>

#include <string>

#include "config/core_config.h"
#include "config/orderer_config.h"
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
  EXPECT_TRUE(net.tls);
  EXPECT_FALSE(net.tls_client_auth);
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
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\ntls: {enabled: sure}\n",
                "tls.enabled", "not a boolean"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\ntls: {mutual: true}\n", "tls.mutual",
                "unknown key"},
        BadCase{"orgs: [{name: Org1}]\nchannels: [{name: c}]\n"
                "tls: {enabled: false, clientAuthRequired: true}\n",
                "tls.clientAuthRequired", "needs tls.enabled"},
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

TEST(UpNetworkFile, TlsIsOnUnlessTheFileSaysOffAndMayRequireClientCertificates) {
  const std::string base = "orgs: [{name: Org1}]\nchannels: [{name: c}]\n";
  EXPECT_TRUE(parse_network_file(base, "t.yaml").tls);
  EXPECT_TRUE(parse_network_file(base + "tls: true\n", "t.yaml").tls);
  EXPECT_FALSE(parse_network_file(base + "tls: false\n", "t.yaml").tls);
  const NetworkFile mutual =
      parse_network_file(base + "tls: {enabled: true, clientAuthRequired: true}\n", "t.yaml");
  EXPECT_TRUE(mutual.tls);
  EXPECT_TRUE(mutual.tls_client_auth);
  EXPECT_FALSE(parse_network_file(base + "tls: {enabled: false}\n", "t.yaml").tls);
}

const std::string kTwoOrgs =
    "orgs: [{name: Org1, peers: 2}, {name: Org2, peers: 1}]\nchannels: [{name: a}]\n"
    "ports: {base: 30000}\n";

// The generated files read back through fabnet's own core.yaml / orderer.yaml
// loaders (no environment), as the nodes will read them.
TEST(UpLayout, WithTlsEveryNodeServesTlsFromItsCryptoFoldersAndTrustsEveryOrgsCa) {
  const NetworkFile net = parse_network_file(kTwoOrgs, "t.yaml");
  const Layout layout = plan_layout(net, "/tmp/x");
  const std::string crypto = "/tmp/x/crypto/";
  const std::vector<std::string> org_cas = {
      crypto + "peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem",
      crypto + "peerOrganizations/org2.example.com/tlsca/tlsca.org2.example.com-cert.pem"};

  const Node& peer = *layout.find("peer1.org1");
  const config::CoreConfig core =
      config::load_core_config_string(node_config_text(net, layout, peer), {}, "core.yaml");
  const std::string tls =
      crypto + "peerOrganizations/org1.example.com/peers/peer1.org1.example.com/tls/";
  EXPECT_TRUE(core.tls.enabled);
  EXPECT_FALSE(core.tls.client_auth_required);
  EXPECT_EQ(core.tls.cert_file, tls + "server.crt");
  EXPECT_EQ(core.tls.key_file, tls + "server.key");
  EXPECT_EQ(core.tls.root_cert_file, tls + "ca.crt");
  EXPECT_EQ(core.tls.client_root_cas, org_cas);
  EXPECT_FALSE(core.operations_tls.enabled);  // the launcher probes /status over HTTP

  const config::OrdererConfig orderer = config::load_orderer_config_string(
      node_config_text(net, layout, layout.nodes.front()), {}, "orderer.yaml");
  const std::string otls =
      crypto + "ordererOrganizations/example.com/orderers/orderer.example.com/tls/";
  EXPECT_TRUE(orderer.tls.enabled);
  EXPECT_EQ(orderer.tls.certificate, otls + "server.crt");
  EXPECT_EQ(orderer.tls.private_key, otls + "server.key");
  EXPECT_EQ(orderer.tls.root_cas, std::vector<std::string>{otls + "ca.crt"});
  EXPECT_FALSE(orderer.tls.client_auth_required);
  EXPECT_EQ(orderer.tls.client_root_cas, org_cas);

  EXPECT_EQ(layout.client_tls_args(),
            (std::vector<std::string>{
                "--tls", "--cafile",
                crypto + "ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem"}));
}

TEST(UpLayout, ClientAuthRequiredReachesEveryNodeAndTheLoadsClientCertificate) {
  const NetworkFile net =
      parse_network_file(kTwoOrgs + "tls: {enabled: true, clientAuthRequired: true}\n", "t.yaml");
  const Layout layout = plan_layout(net, "/tmp/x");
  EXPECT_TRUE(config::load_core_config_string(
                  node_config_text(net, layout, *layout.find("peer0.org2")), {}, "core.yaml")
                  .tls.client_auth_required);
  EXPECT_TRUE(config::load_orderer_config_string(
                  node_config_text(net, layout, layout.nodes.front()), {}, "orderer.yaml")
                  .tls.client_auth_required);
  const std::string user =
      "/tmp/x/crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/tls/";
  const auto args = layout.client_tls_args();
  ASSERT_EQ(args.size(), 8u);
  EXPECT_EQ(std::vector<std::string>(args.begin() + 3, args.end()),
            (std::vector<std::string>{"--clientauth", "--certfile", user + "client.crt",
                                      "--keyfile", user + "client.key"}));
}

TEST(UpLayout, WithoutTlsNoNodeMentionsIt) {
  const NetworkFile net = parse_network_file(kTwoOrgs + "tls: false\n", "t.yaml");
  const Layout layout = plan_layout(net, "/tmp/x");
  for (const Node& node : layout.nodes) {
    const std::string text = node_config_text(net, layout, node);
    EXPECT_EQ(text.find("tls"), std::string::npos) << node.name << ":\n" << text;
    EXPECT_EQ(text.find("TLS"), std::string::npos) << node.name << ":\n" << text;
  }
  EXPECT_FALSE(config::load_core_config_string(
                   node_config_text(net, layout, *layout.find("peer0.org1")), {}, "core.yaml")
                   .tls.enabled);
  EXPECT_FALSE(config::load_orderer_config_string(
                   node_config_text(net, layout, layout.nodes.front()), {}, "orderer.yaml")
                   .tls.enabled);
  EXPECT_TRUE(layout.client_tls_args().empty());
}

}  // namespace
}  // namespace fabnet::up
