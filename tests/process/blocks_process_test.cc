// Blocks end to end over real processes on 127.0.0.1, in issue 9 §6's shape: the
// fabnet ordering service and two orgs of three peers; 1,000 envelopes are
// broadcast, and in the same run the leader of each org and then the orderer are
// killed with SIGKILL mid-stream (the orderer is restarted on its ledger). The
// elected leaders pull blocks (protocol.md §10.1) and spread them in their org
// (§10.2–§10.4). At the end:
//   - every peer that ever led (and every other peer) holds a prefix of the
//     orderer's chain, hash for hash;
//   - the current leaders, and the other running peers, reach the orderer's height;
//   - every envelope the orderer answered SUCCESS, before or after its restart, is
//     in its chain.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "ledger/block_hash.h"
#include "ledger/block_store.h"
#include "orderer/envelopes.h"
#include "peer_network.h"

namespace fabnet::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
constexpr char kChannel[] = "mychannel";
constexpr int kEnvelopes = 1000;

struct Chain {
  std::vector<std::string> hashes;  // header hash of each block
  std::set<std::string> tx_ids;
};

// The chain in the block store under `root` (read after its process is gone, so no
// LevelDB lock is held).
Chain read_chain(const fs::path& root) {
  ledger::BlockStoreProvider stores(root);
  ledger::BlockStore& store = stores.open(kChannel);
  Chain chain;
  for (std::uint64_t n = 0; n < store.height(); ++n) {
    const auto block = store.block(n);
    chain.hashes.push_back(block ? ledger::header_hash(block->header()) : std::string("missing"));
    if (!block) continue;
    for (const std::string& id : orderer::tx_ids_of(*block)) chain.tx_ids.insert(id);
  }
  return chain;
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

class Broadcaster {
 public:
  // `fabnet tx broadcast` of `count` 1 KB envelopes at `rate`/s as Org1's User1, in
  // the background; the tx_id of each envelope answered SUCCESS goes to `acked`.
  Broadcaster(PeerNetwork& net, int count, int rate, const fs::path& acked, const fs::path& log)
      : acked_(acked) {
    const fs::path user =
        net.root() / "crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp";
    pid_ = spawn_process(
        {FABNET_BINARY, "tx", "broadcast", "--orderer", net.orderer_endpoint(), "--channel",
         kChannel, "--count", std::to_string(count), "--rate", std::to_string(rate), "--size",
         "1024", "--msp", user.string(), "--msp-id", "Org1MSP", "--acked-out", acked.string()},
        log);
  }
  ~Broadcaster() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::size_t acked() const { return read_lines(acked_).size(); }
  // Exit status, waiting for it.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  fs::path acked_;
  pid_t pid_ = 0;
};

std::string heights(PeerNetwork& net, const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids)
    out += id + "=" + std::to_string(net.height(id, kChannel)) + " ";
  return out;
}

TEST(BlocksProcess, LeadersAndTheOrdererKilledMidStreamLoseNothingAndEveryChainIsTheOrderers) {
  PeerNetwork net({"org1", "org2"}, 3, {{kChannel, {0, 1, 2}}}, NetworkTimings{},
                  /*with_orderer=*/true);
  net.start_orderer();
  net.start_all();
  const std::vector<std::string> orgs{"org1", "org2"};
  std::vector<std::string> peers;
  for (const std::string& org : orgs)
    for (const std::string& id : net.members(kChannel, org)) peers.push_back(id);
  std::set<std::string> ever_led;
  const auto note_leaders = [&] {
    for (const std::string& org : orgs)
      for (const std::string& id : net.leaders(kChannel, org)) ever_led.insert(id);
  };
  for (const std::string& org : orgs)
    ASSERT_TRUE(PeerNetwork::wait_until(
        [&] { return net.settled(kChannel, org) && net.views_complete(kChannel, org); }, 30s))
        << org << " did not settle: " << net.log_tail(net.members(kChannel, org)[0]);
  note_leaders();

  // 1,000 envelopes at 200/s, sent by one client until the orderer dies under it,
  // the rest by a second client once it is back.
  const fs::path acked_before = net.root() / "acked-before.txt";
  const fs::path acked_after = net.root() / "acked-after.txt";
  std::size_t first_part = 0;
  {
    Broadcaster first(net, kEnvelopes, 200, acked_before, net.root() / "broadcast-1.log");
    ASSERT_TRUE(PeerNetwork::wait_until([&] { return first.acked() >= 200; }, 30s))
        << "acknowledged: " << first.acked();
    std::vector<std::string> killed;
    for (const std::string& org : orgs) {
      std::string leader;
      ASSERT_TRUE(net.settled(kChannel, org, &leader)) << org;
      ever_led.insert(leader);
      killed.push_back(leader);
    }
    for (const std::string& id : killed) net.kill_hard(id);  // mid-stream, both orgs

    ASSERT_TRUE(PeerNetwork::wait_until(
        [&] {
          note_leaders();
          return first.acked() >= 450;
        },
        30s))
        << "acknowledged: " << first.acked();
    net.kill_orderer();  // mid-stream
    EXPECT_NE(first.wait(), 0) << "the first client saw its stream break";
    first_part = first.acked();
    ASSERT_LT(first_part, static_cast<std::size_t>(kEnvelopes));
  }
  net.start_orderer();
  {
    Broadcaster second(net, kEnvelopes - static_cast<int>(first_part), 200, acked_after,
                       net.root() / "broadcast-2.log");
    EXPECT_TRUE(PeerNetwork::wait_until(
        [&] {
          note_leaders();
          return second.acked() + first_part >= static_cast<std::size_t>(kEnvelopes);
        },
        30s))
        << "acknowledged after the restart: " << second.acked();
    EXPECT_EQ(second.wait(), 0);
  }

  // The current leaders, then every running peer, reach the orderer's height.
  const long long target = net.orderer_height(kChannel);
  ASSERT_GT(target, kEnvelopes / 10) << "blocks of at most 10 envelopes, plus the genesis block";
  std::vector<std::string> running;
  for (const std::string& id : peers)
    if (net.running(id)) running.push_back(id);
  std::vector<std::string> leaders;
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] {
        note_leaders();
        leaders.clear();
        for (const std::string& org : orgs) {
          std::string leader;
          if (!net.settled(kChannel, org, &leader)) return false;
          leaders.push_back(leader);
        }
        for (const std::string& id : leaders)
          if (net.height(id, kChannel) != target) return false;
        return true;
      },
      40s))
      << "orderer height " << target << "; leaders " << heights(net, leaders);
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] {
        for (const std::string& id : running)
          if (net.height(id, kChannel) != target) return false;
        return true;
      },
      30s))
      << "orderer height " << target << "; peers " << heights(net, running);

  for (const std::string& id : peers) net.kill_hard(id);
  net.kill_orderer();
  const Chain orderer = read_chain(net.orderer_ledger());
  ASSERT_EQ(static_cast<long long>(orderer.hashes.size()), target);

  // No acknowledged envelope lost across the orderer's kill -9.
  std::size_t missing = 0, acknowledged = 0;
  for (const fs::path& file : {acked_before, acked_after}) {
    for (const std::string& id : read_lines(file)) {
      ++acknowledged;
      missing += orderer.tx_ids.contains(id) ? 0 : 1;
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << acknowledged << " acknowledged envelopes";
  EXPECT_GE(acknowledged, static_cast<std::size_t>(kEnvelopes));

  // Every chain is a prefix of the orderer's, hash for hash; the leaders' are all of it.
  EXPECT_GE(ever_led.size(), 4u) << "two killed leaders and their successors";
  for (const std::string& id : peers) {
    const Chain chain = read_chain(net.peer_ledger(id));
    ASSERT_LE(chain.hashes.size(), orderer.hashes.size()) << id;
    EXPECT_TRUE(std::equal(chain.hashes.begin(), chain.hashes.end(), orderer.hashes.begin()))
        << id << (ever_led.contains(id) ? " (led)" : "");
    if (ever_led.contains(id)) {
      EXPECT_GT(chain.hashes.size(), 1u) << id << " led but pulled nothing";
    }
  }
  for (const std::string& id : leaders)
    EXPECT_EQ(read_chain(net.peer_ledger(id)).hashes, orderer.hashes) << id;
}

}  // namespace
}  // namespace fabnet::testing
