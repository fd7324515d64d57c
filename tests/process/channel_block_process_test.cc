// `fabnet peer channel join -b BLOCK`: running peers that started without a
// channel join it from its config block (Fabric's CLI shape) and elect a leader.

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_block.h"
#include "config/network_config.h"
#include "crypto/generate.h"
#include "peer_network.h"

namespace fabnet::testing {
namespace {

int run_fabnet(const std::vector<std::string>& args) {
  std::string command = FABNET_BINARY;
  for (const auto& a : args) command += " '" + a + "'";
  command += " > /dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A genesis block for `name` with the orgs (and CAs) of ch1 from channels.yaml
// and an ordering service nobody runs.
std::filesystem::path write_block(const PeerNetwork& net, const std::string& name, bool with_org1) {
  const config::ChannelDefinitions defs =
      config::load_channel_definitions_file(net.channels_file());
  config::ChannelDefinition channel = *defs.find("ch1");
  channel.name = name;
  if (!with_org1) {
    // A channel of a foreign org only: its CA is a fresh one.
    config::ChannelOrg other;
    other.msp_id = "OtherMSP";
    other.ca_cert_pem = crypto::make_certificate_authority("ca.other.com", "other.com",
                                                           std::chrono::system_clock::now())
                            .certificate_pem;
    channel.orgs = {other};
  }
  config::OrdererDefinition orderer;
  orderer.msp_id = "OrdererMSP";
  orderer.ca_cert_pem = crypto::make_certificate_authority("ca.example.com", "example.com",
                                                           std::chrono::system_clock::now())
                            .certificate_pem;
  orderer.endpoints = {"127.0.0.1:1"};
  const std::filesystem::path file = net.root() / (name + ".block");
  std::ofstream(file, std::ios::binary) << config::make_config_block(channel, orderer);
  return file;
}

TEST(ChannelBlockProcess, RunningPeersJoinFromAConfigBlockAndElectALeader) {
  PeerNetwork net({"org1"}, 2, {{"ch1", {0, 1}}});
  net.start_all();
  ASSERT_TRUE(
      PeerNetwork::wait_until([&] { return net.settled("ch1", "org1"); }, milliseconds(30000)));
  const std::filesystem::path block = write_block(net, "fromblock", true);
  const std::vector<std::string> ids = {"peer0.org1", "peer1.org1"};
  for (const std::string& id : ids) {
    auto s = net.status(id);
    ASSERT_TRUE(s);
    EXPECT_FALSE((*s)["channels"].contains("fromblock"));
    const std::string ops = "127.0.0.1:" + std::to_string(net.peer(id).ops_port);
    EXPECT_EQ(run_fabnet({"peer", "channel", "join", "-b", block.string(), "--ops", ops}), 0)
        << id << net.log_tail(id);
  }
  // A block of a channel this org is not in is refused (exit 1); a file that is no
  // block is named before the peer is asked (exit 2).
  const std::string ops0 = "127.0.0.1:" + std::to_string(net.peer("peer0.org1").ops_port);
  EXPECT_EQ(run_fabnet({"peer", "channel", "join", "-b",
                        write_block(net, "foreign", false).string(), "--ops", ops0}),
            1);
  std::ofstream(net.root() / "junk.block") << "not a block";
  EXPECT_EQ(run_fabnet({"peer", "channel", "join", "-b", (net.root() / "junk.block").string(),
                        "--ops", ops0}),
            2);

  // Both run an election on the new channel, see each other and agree on one leader.
  std::string agreed;
  const bool settled = PeerNetwork::wait_until(
      [&] {
        std::vector<std::string> leaders;
        std::set<std::string> believed;
        for (const std::string& id : ids) {
          auto s = net.status(id);
          if (!s || !(*s)["channels"].contains("fromblock")) return false;
          const auto& ch = (*s)["channels"]["fromblock"];
          if (ch["view"].size() != 1 || ch["leader"].is_null()) return false;
          if (ch["is_leader"].get<bool>()) leaders.push_back(id);
          believed.insert(ch["leader"].get<std::string>());
        }
        if (leaders.size() != 1 || believed.size() != 1) return false;
        agreed = leaders.front();
        return true;
      },
      milliseconds(20000));
  EXPECT_TRUE(settled) << net.log_tail("peer0.org1") << net.log_tail("peer1.org1");
  EXPECT_FALSE(agreed.empty());
  EXPECT_NE(net.log_tail("peer0.org1", 60).find("joined channel fromblock from its config block"),
            std::string::npos)
      << net.log_tail("peer0.org1", 60);
}

// A peer started without --channels knows no orderer; joined from a genesis block, it
// pulls from the ordering service that block names: at its endpoint, over mutual TLS
// trusting the block's orderer TLS CA (peer.tls.rootcert.file is the peer org's TLS
// CA only), verifying block signatures against the block's orderer CA. The other
// peer gets the blocks through gossip; both reach the orderer's height.
TEST(ChannelBlockProcess, APeerStartedWithoutAnOrdererPullsFromTheOrdererOfTheBlock) {
  PeerNetwork net({"org1"}, 2, {{"mychannel", {}}}, {}, /*with_orderer=*/true,
                  NetworkTls{true, true});
  const std::vector<std::string> ids = {"peer0.org1", "peer1.org1"};
  for (const std::string& id : ids) net.peer(id).without_channels_file = true;
  net.start_orderer();
  net.start_all();
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] { return net.status("peer0.org1") && net.status("peer1.org1"); }, milliseconds(10000)));
  ASSERT_EQ(net.broadcast("mychannel", 30, 300), 0);
  ASSERT_TRUE(PeerNetwork::wait_until([&] { return net.orderer_height("mychannel") >= 3; },
                                      milliseconds(10000)))
      << net.orderer_height("mychannel");

  // The block the orderer was started with: channels.yaml's mychannel and orderer
  // (OrdererMSP's CA and TLS CA, the orderer's endpoint).
  const config::ChannelDefinitions defs =
      config::load_channel_definitions_file(net.channels_file());
  ASSERT_TRUE(defs.orderer.has_value());
  ASSERT_FALSE(defs.orderer->tls_ca_cert_pem.empty());
  const std::filesystem::path block = net.root() / "mychannel.block";
  std::ofstream(block, std::ios::binary)
      << config::make_config_block(*defs.find("mychannel"), *defs.orderer);
  for (const std::string& id : ids) {
    auto s = net.status(id);
    ASSERT_TRUE(s) << net.log_tail(id);
    EXPECT_TRUE((*s)["channels"].empty()) << s->dump();
    const std::string ops = "127.0.0.1:" + std::to_string(net.peer(id).ops_port);
    EXPECT_EQ(run_fabnet({"peer", "channel", "join", "-b", block.string(), "--ops", ops}), 0)
        << id << net.log_tail(id);
  }

  const long long target = net.orderer_height("mychannel");
  const bool caught_up = PeerNetwork::wait_until(
      [&] {
        for (const std::string& id : ids)
          if (net.height(id, "mychannel") != target) return false;
        return true;
      },
      milliseconds(20000));
  EXPECT_TRUE(caught_up) << "orderer height " << target << ", peers "
                         << net.height("peer0.org1", "mychannel") << " and "
                         << net.height("peer1.org1", "mychannel") << net.log_tail("peer0.org1", 40)
                         << net.log_tail("peer1.org1", 40);
  // One of them pulled from the orderer (the leader); nothing was refused.
  double from_orderer = 0;
  for (const std::string& id : ids) {
    auto s = net.status(id);
    ASSERT_TRUE(s);
    const auto& ch = (*s)["channels"]["mychannel"];
    from_orderer += ch["blocks_received"].get<double>();
    EXPECT_TRUE(ch["blocks_refused"].empty()) << ch.dump();
  }
  EXPECT_GE(from_orderer, double(target));
  const std::string log = net.log_tail("peer0.org1", 200) + net.log_tail("peer1.org1", 200);
  EXPECT_NE(log.find("orderer from the config block: org(s) [OrdererMSP] at [" +
                     net.orderer_endpoint() + "]"),
            std::string::npos)
      << log;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Gossip over mutual TLS between orgs whose TLS CAs the peers' files do not name:
// each peer trusts only its own org's TLS CA (rootcert.file, clientRootCAs.files).
// Joined from a block without the orgs' tls_root_certs, the two orgs' anchor peers
// cannot reach each other; joined (again) from a block with them, they can, as
// Fabric trusts a channel's org TLS CAs for gossip.
TEST(ChannelBlockProcess, GossipTlsTrustsTheTlsCasOfTheBlocksOrgs) {
  PeerNetwork net({"org1", "org2"}, 1, {{"mychannel", {}}}, {}, /*with_orderer=*/false,
                  NetworkTls{true, true});
  net.set_anchor_peers({{"org1", {0}}, {"org2", {0}}});
  std::map<std::string, std::string> tls_cas;  // MSP ID -> its TLS CA
  for (const std::string org : {"org1", "org2"}) {
    PeerProcess& p = net.peer("peer0." + org);
    p.without_channels_file = true;
    const std::filesystem::path ca = net.root() / "crypto" / "peerOrganizations" /
                                     (org + ".example.com") / "tlsca" /
                                     ("tlsca." + org + ".example.com-cert.pem");
    tls_cas[p.spec.msp_id] = read_file(ca);
    // Only the own org's TLS CA for clients (the harness lists every org's).
    std::string env = read_file(p.dir / "tls.env");
    const auto at = env.find("CORE_PEER_TLS_CLIENTROOTCAS_FILES=");
    ASSERT_NE(at, std::string::npos);
    env = env.substr(0, at) + "CORE_PEER_TLS_CLIENTROOTCAS_FILES=" + ca.string() + "\n";
    std::ofstream(p.dir / "tls.env") << env;
  }
  net.start_all();
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] { return net.status("peer0.org1") && net.status("peer0.org2"); }, milliseconds(10000)));

  const config::ChannelDefinitions defs =
      config::load_channel_definitions_file(net.channels_file());
  const config::ChannelDefinition& channel = *defs.find("mychannel");
  ASSERT_EQ(channel.orgs.size(), 2u);
  config::OrdererDefinition orderer;  // nobody runs it; gossip is what is tested
  orderer.msp_id = "OrdererMSP";
  orderer.ca_cert_pem = crypto::make_certificate_authority("ca.example.com", "example.com",
                                                           std::chrono::system_clock::now())
                            .certificate_pem;
  orderer.endpoints = {"127.0.0.1:1"};
  const std::filesystem::path without = net.root() / "without-tls-cas.block";
  const std::filesystem::path with = net.root() / "with-tls-cas.block";
  std::ofstream(without, std::ios::binary) << config::make_config_block(channel, orderer);
  std::ofstream(with, std::ios::binary) << config::make_config_block(channel, orderer, tls_cas);

  auto join = [&](const std::filesystem::path& block) {
    for (const std::string id : {"peer0.org1", "peer0.org2"}) {
      const std::string ops = "127.0.0.1:" + std::to_string(net.peer(id).ops_port);
      EXPECT_EQ(run_fabnet({"peer", "channel", "join", "-b", block.string(), "--ops", ops}), 0)
          << id << net.log_tail(id);
    }
  };
  // Whether each peer has the other org's peer among its alive members.
  auto cross_org = [&] {
    for (const std::string id : {"peer0.org1", "peer0.org2"}) {
      auto s = net.status(id);
      if (!s) return false;
      bool other = false;
      for (const auto& m : (*s)["alive_members"])
        other = other || m["org"].get<std::string>() != net.peer(id).spec.msp_id;
      if (!other) return false;
    }
    return true;
  };

  join(without);
  // Two reconnect intervals (2.5 s): the anchor contacts are retried and still refused.
  EXPECT_FALSE(PeerNetwork::wait_until(cross_org, milliseconds(6000)))
      << "orgs met over TLS without trusting each other's TLS CA";
  join(with);
  EXPECT_TRUE(PeerNetwork::wait_until(cross_org, milliseconds(15000)))
      << net.log_tail("peer0.org1", 40) << net.log_tail("peer0.org2", 40);
  EXPECT_NE(net.log_tail("peer0.org1", 80).find("gossip TLS now also trusts 2 TLS CA"),
            std::string::npos)
      << net.log_tail("peer0.org1", 80);
}

}  // namespace
}  // namespace fabnet::testing
