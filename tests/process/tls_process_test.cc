// TLS everywhere, with real processes on 127.0.0.1: peers configured as the
// fabric-samples test network configures them (CORE_PEER_TLS_* variables) elect and
// fail over over mutual-TLS gossip; a TLS orderer requiring client certificates feeds
// TLS peers; a peer asked for TLS without its files refuses to start.

#include <gtest/gtest.h>
#include <signal.h>

#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "peer_network.h"

namespace fabnet::testing {
namespace {

using namespace std::chrono_literals;
constexpr char kChannel[] = "mychannel";

std::string statuses(PeerNetwork& net, const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    auto s = net.status(id);
    out += id + " " + (s ? s->dump() : "<no status>\n" + net.log_tail(id, 30)) + "\n";
  }
  return out;
}

TEST(TlsProcess, MutualTlsPeersElectAndFailOver) {
  PeerNetwork net({"org1"}, 3, {{kChannel, {0, 1, 2}}}, NetworkTimings{}, false,
                  NetworkTls{true, true});
  net.start_all();
  const auto ids = net.members(kChannel, "org1");
  std::string leader;
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        return net.settled(kChannel, "org1", &leader) && net.views_complete(kChannel, "org1");
      },
      30s))
      << statuses(net, ids);
  for (const std::string& id : ids) {
    EXPECT_NE(net.log_tail(id, 200).find("TLS on (client certificates required"), std::string::npos)
        << id << " did not say it serves TLS:\n"
        << net.log_tail(id, 40);
  }

  net.kill_hard(leader);
  std::string next;
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] { return net.settled(kChannel, "org1", &next) && next != leader; }, 20s))
      << statuses(net, ids);
}

TEST(TlsProcess, TlsOrdererFeedsTlsPeers) {
  PeerNetwork net({"org1"}, 2, {{kChannel, {0, 1}}}, NetworkTimings{}, /*with_orderer=*/true,
                  NetworkTls{true, true});
  net.start_orderer();
  net.start_all();
  const auto ids = net.members(kChannel, "org1");
  ASSERT_TRUE(PeerNetwork::wait_until([&] { return net.settled(kChannel, "org1"); }, 30s))
      << statuses(net, ids);
  ASSERT_EQ(net.broadcast(kChannel, 30, 100), 0)
      << "tx broadcast over mutual TLS failed, see " << net.root().string() << "/broadcast.log";
  const long long target = net.orderer_height(kChannel);
  ASSERT_GT(target, 1);
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        for (const std::string& id : ids)
          if (net.height(id, kChannel) < target) return false;
        return true;
      },
      30s))
      << "orderer at " << target << "; " << statuses(net, ids);
}

TEST(TlsProcess, PeerAskedForTlsWithoutItsFilesRefusesToStart) {
  // The plaintext harness network, with CORE_PEER_TLS_ENABLED=true and no TLS files:
  // the peer must not serve plaintext quietly.
  PeerNetwork net({"org1"}, 1, {{kChannel, {0}}});
  const std::string id = net.members(kChannel, "org1")[0];
  std::ofstream(net.peer(id).dir / "tls.env") << "CORE_PEER_TLS_ENABLED=true\n";
  net.start(id);
  const pid_t pid = net.peer(id).pid;
  int status = 0;
  pid_t done = 0;
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        done = ::waitpid(pid, &status, WNOHANG);
        return done == pid;
      },
      15s))
      << "the peer kept running with TLS asked for and no certificate:\n"
      << net.log_tail(id, 20);
  net.peer(id).pid = 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  const std::string log = net.log_tail(id, 20);
  EXPECT_NE(log.find("peer.tls.cert.file"), std::string::npos) << log;
  EXPECT_NE(log.find("CORE_PEER_TLS_ENABLED"), std::string::npos) << log;
}

}  // namespace
}  // namespace fabnet::testing
