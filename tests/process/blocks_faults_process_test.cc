// Blocks under faults over real processes on 127.0.0.1 (issue 10 §3): the fabnet
// ordering service, two orgs of four peers, a steady broadcast load, and while it
// runs: SIGKILL of org1's leader and of an org2 follower, SIGSTOP of an org1
// follower for longer than its commit buffer and the pull store cover (so it must
// come back by state transfer), the leader restarted with its ledger kept, the
// follower restarted with its ledger deleted. At the end every peer of each org
// holds the orderer's chain, block hash for block hash.

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "ledger/block_hash.h"
#include "ledger/block_store.h"
#include "peer_network.h"

namespace fabnet::testing {
namespace {

using namespace std::chrono_literals;
constexpr char kChannel[] = "mychannel";

// Header hash of every block of the store at `root` (blocks files + index).
std::vector<std::string> chain_hashes(const std::filesystem::path& root) {
  ledger::BlockStoreProvider stores(root);
  ledger::BlockStore& store = stores.open(kChannel);
  std::vector<std::string> hashes;
  for (std::uint64_t n = 0; n < store.height(); ++n) {
    const auto block = store.block(n);
    hashes.push_back(block ? ledger::header_hash(block->header()) : std::string("missing"));
  }
  return hashes;
}

std::string heights(PeerNetwork& net, const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids)
    out += id + "=" + std::to_string(net.height(id, kChannel)) + " ";
  return out;
}

// blocks_committed.<source> of `channel` in `id`'s /status, or -1.
long long committed_by(PeerNetwork& net, const std::string& id, const std::string& source) {
  const auto s = net.status(id);
  if (!s || !(*s)["channels"].contains(kChannel)) return -1;
  const auto& c = (*s)["channels"][kChannel];
  if (!c.contains("blocks_committed")) return -1;
  return c["blocks_committed"].value(source, -1LL);
}

// Short block-path timings, so that a catch-up takes seconds, not Fabric's tens.
NetworkTimings fault_timings() {
  NetworkTimings t;
  t.extra_gossip =
      "    pullInterval: 1s\n"
      "    requestStateInfoInterval: 500ms\n"
      "    publishStateInfoInterval: 500ms\n"
      "    state:\n"
      "      checkInterval: 1s\n"
      "      responseTimeout: 1s\n";
  return t;
}

TEST(BlocksFaultsProcess, EveryPeerEndsWithTheOrderersChainAfterKillsPausesAndRestarts) {
  PeerNetwork net({"org1", "org2"}, 4, {{kChannel, {0, 1, 2, 3}}}, fault_timings(),
                  /*with_orderer=*/true);
  net.start_orderer();
  net.start_all();
  std::vector<std::string> peers;
  for (const std::string org : {"org1", "org2"})
    for (const std::string& id : net.members(kChannel, org)) peers.push_back(id);
  std::string leader1, leader2;
  for (const std::string org : {"org1", "org2"})
    ASSERT_TRUE(PeerNetwork::wait_until(
        [&] { return net.settled(kChannel, org) && net.views_complete(kChannel, org); }, 30s))
        << org << " did not settle: " << net.log_tail(net.members(kChannel, org)[0]);
  ASSERT_TRUE(net.settled(kChannel, "org1", &leader1));
  ASSERT_TRUE(net.settled(kChannel, "org2", &leader2));
  auto follower_of = [&](const std::string& org, const std::string& leader, int skip) {
    for (const std::string& id : net.members(kChannel, org))
      if (id != leader && skip-- == 0) return id;
    return std::string();
  };
  const std::string paused = follower_of("org1", leader1, 0);
  const std::string wiped = follower_of("org2", leader2, 0);

  // A steady load: 100 envelopes/s in blocks of at most 10 (BatchTimeout 200 ms), for
  // about 12 s, while the faults below happen.
  const long long paused_from = committed_by(net, paused, "state_transfer");
  auto load = std::async(std::launch::async, [&] { return net.broadcast(kChannel, 1200, 100); });
  std::this_thread::sleep_for(2s);
  net.kill_hard(leader1);  // org1 elects another leader, which resumes from its height
  net.kill_hard(wiped);
  net.signal(paused, SIGSTOP);
  std::this_thread::sleep_for(3s);
  net.start(leader1);  // ledger kept
  std::this_thread::sleep_for(2s);
  // ~5 s paused at ~10 blocks/s: past blockBufferSize (20) and maxBlockCountToStore (10).
  net.signal(paused, SIGCONT);
  std::filesystem::remove_all(net.peer_ledger(wiped));
  net.start(wiped);
  ASSERT_EQ(load.get(), 0) << "the broadcast client failed";

  const long long target = net.orderer_height(kChannel);
  ASSERT_GT(target, 60) << "1200 envelopes in blocks of at most 10, plus the genesis block";
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] {
        for (const std::string& id : peers)
          if (net.height(id, kChannel) != target) return false;
        return true;
      },
      60s))
      << "orderer height " << target << "; peers " << heights(net, peers) << "\n"
      << paused << ":\n"
      << net.log_tail(paused, 30) << wiped << ":\n"
      << net.log_tail(wiped, 30);
  // The paused peer came back (at least partly) by state transfer.
  EXPECT_GT(committed_by(net, paused, "state_transfer"), std::max(0LL, paused_from)) << paused;
  // The wiped peer may win its org's election on return and then read from the orderer.
  EXPECT_GT(committed_by(net, wiped, "state_transfer") + committed_by(net, wiped, "from_orderer"),
            0)
      << wiped;
  // /metrics carries Fabric's state metrics.
  const std::string height_sample =
      std::string("gossip_state_height{channel=\"") + kChannel + "\"}";
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] { return net.metric(wiped, height_sample) == static_cast<double>(target); }, 5s))
      << net.metric(wiped, height_sample) << " (refreshed once a second)";
  // The push path's counters: every block went out in batches, in /status and /metrics
  // alike (the leader's, or a forwarding follower's).
  long long batches = 0;
  double batch_metric = 0;
  const std::string batch_sample =
      std::string("gossip_state_push_events{channel=\"") + kChannel + "\",event=\"batch\"}";
  for (const std::string& id : peers) {
    if (const auto s = net.status(id); s && (*s)["channels"].contains(kChannel)) {
      const auto& c = (*s)["channels"][kChannel];
      if (c.contains("push")) batches += c["push"].value("batches", 0LL);
    }
    batch_metric += std::max(0.0, net.metric(id, batch_sample));
  }
  EXPECT_GT(batches, 0);
  EXPECT_GT(batch_metric, 0);

  // Block for block, every chain is the orderer's (stores are read after the
  // processes are gone, so no LevelDB lock is held).
  for (const std::string& id : peers) net.kill_hard(id);
  net.kill_orderer();
  const std::vector<std::string> orderer = chain_hashes(net.orderer_ledger());
  ASSERT_EQ(static_cast<long long>(orderer.size()), target);
  for (const std::string& id : peers) EXPECT_EQ(chain_hashes(net.peer_ledger(id)), orderer) << id;
}

}  // namespace
}  // namespace fabnet::testing
