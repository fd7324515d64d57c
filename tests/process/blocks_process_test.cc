// Blocks end to end over real processes on 127.0.0.1: the fabnet ordering
// service, two orgs of three peers; the elected leaders pull blocks (protocol.md
// §10.1) and spread them in their org by push, pull and state transfer (§10.2–§10.4).
// A leader is killed with SIGKILL mid-stream and restarted with its ledger kept.
// At the end every peer's chain is the orderer's, block for block.

#include <gtest/gtest.h>

#include <string>
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

TEST(BlocksProcess, EveryPeerOfEachOrgEndsWithTheOrderersChainThroughALeaderKill) {
  PeerNetwork net({"org1", "org2"}, 3, {{kChannel, {0, 1, 2}}}, NetworkTimings{},
                  /*with_orderer=*/true);
  net.start_orderer();
  net.start_all();
  std::vector<std::string> peers;
  for (const std::string org : {"org1", "org2"})
    for (const std::string& id : net.members(kChannel, org)) peers.push_back(id);
  for (const std::string org : {"org1", "org2"})
    ASSERT_TRUE(PeerNetwork::wait_until(
        [&] { return net.settled(kChannel, org) && net.views_complete(kChannel, org); }, 30s))
        << org << " did not settle: " << net.log_tail(net.members(kChannel, org)[0]);

  ASSERT_EQ(net.broadcast(kChannel, 100, 200), 0);
  std::string killed;
  ASSERT_TRUE(net.settled(kChannel, "org1", &killed));
  net.kill_hard(killed);  // the leader, while its org may still be catching up
  ASSERT_EQ(net.broadcast(kChannel, 100, 200), 0);
  const long long target = net.orderer_height(kChannel);
  ASSERT_GT(target, 10) << "200 envelopes in blocks of at most 10, plus the genesis block";

  std::vector<std::string> running;
  for (const std::string& id : peers)
    if (id != killed) running.push_back(id);
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] {
        for (const std::string& id : running)
          if (net.height(id, kChannel) != target) return false;
        return true;
      },
      60s))
      << "orderer height " << target << "; peers " << heights(net, running);

  // The killed leader comes back with its ledger and catches up.
  net.start(killed);
  EXPECT_TRUE(PeerNetwork::wait_until([&] { return net.height(killed, kChannel) == target; }, 60s))
      << "orderer height " << target << "; " << heights(net, {killed}) << "\n"
      << net.log_tail(killed, 40);

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
