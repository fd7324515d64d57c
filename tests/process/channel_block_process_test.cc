// `fabnet peer channel join -b BLOCK`: running peers that started without a
// channel join it from its config block (Fabric's CLI shape) and elect a leader.

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <set>
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

}  // namespace
}  // namespace fabnet::testing
