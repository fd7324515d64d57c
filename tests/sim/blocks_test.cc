// Blocks in the simulator (issue 10 §2): the simulated orderer, the leaders'
// deliver clients, push / pull / state transfer between real ChannelBlocks, the
// block reports and the chain invariants.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "fast_block_timings.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "sim/scenario.h"
#include "sim/sim_blocks.h"
#include "sim/simulation.h"
#include "sim_test_util.h"

namespace fabnet::sim {
namespace {

using namespace std::chrono_literals;

// One org of `peers` peers on channel `ch`, blocks at `rate` per second from 6s
// until `until`, the given link and faults.
Scenario block_scenario(int peers, std::string_view duration, std::string_view until,
                        std::string_view faults,
                        std::string_view link = "{latency: 5ms, jitter: 5ms}", double rate = 5,
                        bool state = true, std::uint64_t seed = 1) {
  const std::string settings = testing::fast_block_settings(state);
  std::string yaml =
      "name: blocks\nseed: " + std::to_string(seed) + "\nduration: " + std::string(duration) +
      "\nnetwork:\n  orgs:\n    - {name: org1, msp_id: Org1MSP, peers: " + std::to_string(peers) +
      "}\n  channels:\n    - {name: ch, orgs: [org1]}\n";
  yaml += settings;
  yaml += "link: " + std::string(link) + "\n";
  yaml += "blocks: {rate: " + std::to_string(rate) +
          ", envelopes: 2, envelope_bytes: 100, from: 6s, until: " + std::string(until) + "}\n";
  if (!faults.empty()) yaml += "faults:\n" + std::string(faults);
  return load_scenario_string(yaml, "blocks scenario");
}

const BlockGroupReport& blocks_of(const SimResult& r) {
  EXPECT_EQ(r.blocks.size(), 1u);
  return r.blocks.front();
}

std::uint64_t traffic(const BlockGroupReport& b, const std::string& kind) {
  const auto it = b.traffic.find(kind);
  return it == b.traffic.end() ? 0 : it->second.messages;
}

void expect_every_peer_has_the_chain(const SimResult& r) {
  const BlockGroupReport& b = blocks_of(r);
  ASSERT_GT(b.blocks_cut, 0u);
  EXPECT_EQ(r.orderer_heights.at("ch"), b.blocks_cut);
  for (const PeerBlockSeries& p : b.peers) EXPECT_EQ(p.final_height, b.blocks_cut) << p.peer;
  EXPECT_TRUE(r.chain_checked);
  for (const std::string& v : r.violations) ADD_FAILURE() << v;
}

TEST(SimBlocksTest, EveryPeerCommitsEveryBlockInOrder) {
  const SimResult r = run_simulation(block_scenario(5, "60s", "20s", ""), RunOptions{});
  expect_every_peer_has_the_chain(r);
  const BlockGroupReport& b = blocks_of(r);
  EXPECT_EQ(b.blocks_cut, 70u);  // 5 per second from 6s until 20s
  EXPECT_EQ(b.blocks_complete, b.blocks_cut);
  ASSERT_TRUE(b.propagation_p50 && b.propagation_p99 && b.propagation_max);
  EXPECT_LE(*b.propagation_p50, *b.propagation_p99);
  EXPECT_LE(*b.propagation_p99, *b.propagation_max);
  EXPECT_LT(*b.propagation_p99, 1s);  // push reaches 5 peers in a few hops of ~10 ms
  EXPECT_GT(traffic(b, "push"), 0u);
  EXPECT_TRUE(r.chain_check_exact);
  ASSERT_FALSE(b.peers.empty());
  EXPECT_EQ(b.peers.front().behind.size(), 60u);  // one sample per second
}

TEST(SimBlocksTest, PushLossIsRecoveredByPull) {
  // 20% loss on every link and no state transfer: only pull can fill the holes.
  // Peers offer 100 blocks to pull (maxBlockCountToStore): with Fabric's 10, a
  // block whose pull rounds all lose a message within 2 s is never pulled, and
  // only state transfer could fetch it (the other tests).
  Scenario s =
      block_scenario(6, "60s", "20s", "", "{latency: 5ms, jitter: 5ms, loss: 0.2}", 5, false);
  s.settings.gossip.max_block_count_to_store = 100;
  const SimResult r = run_simulation(s, RunOptions{});
  expect_every_peer_has_the_chain(r);
  const BlockGroupReport& b = blocks_of(r);
  EXPECT_GT(r.messages.lost, 0u);
  EXPECT_GT(traffic(b, "pull"), 0u);
  EXPECT_EQ(traffic(b, "state_transfer"), 0u);
  EXPECT_EQ(b.blocks_complete, b.blocks_cut);
}

TEST(SimBlocksTest, PeerPartitionedForMinutesRecoversByStateTransfer) {
  const SimResult r = run_simulation(
      block_scenario(4, "4m", "3m30s",
                     "  - {at: 10s, kind: partition, name: cut, sides: {alone: [peer3.org1]}}\n"
                     "  - {at: 2m40s, kind: heal, name: cut}\n",
                     "{latency: 5ms, jitter: 5ms}", 2),
      RunOptions{});
  expect_every_peer_has_the_chain(r);
  const BlockGroupReport& b = blocks_of(r);
  EXPECT_GT(traffic(b, "state_transfer"), 0u);
  // The cut-off peer fell behind by about 2.5 minutes of blocks.
  const PeerBlockSeries& alone = b.peers.back();
  EXPECT_EQ(alone.peer, "peer3.org1");
  EXPECT_GT(alone.max_behind, 250u);
}

TEST(SimBlocksTest, LeaderCrashMidStreamTheNextLeaderResumes) {
  const SimResult r = run_simulation(
      block_scenario(4, "90s", "45s",
                     "  - {at: 20s, kind: crash, leader_of: {channel: ch, org: org1}}\n"
                     "  - {at: 30s, kind: restart}\n"),
      RunOptions{});
  expect_every_peer_has_the_chain(r);
  const BlockGroupReport& b = blocks_of(r);
  EXPECT_EQ(b.blocks_complete, b.blocks_cut);  // no peer misses a block
  ASSERT_EQ(b.gaps.size(), 1u);
  const BlockGap& gap = b.gaps.front();
  EXPECT_EQ(gap.from, 20s);
  ASSERT_TRUE(gap.leader_at);
  ASSERT_TRUE(gap.caught_up_at);
  EXPECT_GT(gap.blocks_cut, 0u);
  EXPECT_GE(*gap.caught_up_at, *gap.leader_at);
  EXPECT_GT(gap.max_behind, 0u);
}

TEST(SimBlocksTest, PeerRestartedWithAnEmptyLedgerCatchesUp) {
  const SimResult r = run_simulation(
      block_scenario(4, "70s", "40s",
                     "  - {at: 15s, kind: crash, peer: peer2.org1}\n"
                     "  - {at: 20s, kind: restart, peer: peer2.org1, empty_ledger: true}\n"),
      RunOptions{});
  expect_every_peer_has_the_chain(r);
}

TEST(SimBlocksTest, OrdererOutageAndRefusalAreRiddenOut) {
  const SimResult r = run_simulation(
      block_scenario(3, "90s", "50s",
                     "  - {at: 12s, kind: orderer_down}\n"
                     "  - {at: 18s, kind: orderer_up}\n"
                     "  - {at: 25s, kind: orderer_refuse, channel: ch, status: FORBIDDEN}\n"
                     "  - {at: 30s, kind: orderer_up}\n"),
      RunOptions{});
  expect_every_peer_has_the_chain(r);
  EXPECT_EQ(r.faults.size(), 4u);
  EXPECT_NE(r.faults[2].description.find("FORBIDDEN"), std::string::npos);
}

TEST(SimBlocksTest, SameSeedSameEventLogHash) {
  const Scenario s = block_scenario(4, "40s", "30s",
                                    "  - {at: 15s, kind: crash, leader_of: {channel: ch, org: "
                                    "org1}}\n",
                                    "{latency: 5ms, jitter: 5ms, loss: 0.1}");
  const SimResult a = run_simulation(s, RunOptions{});
  const SimResult b = run_simulation(s, RunOptions{});
  EXPECT_EQ(a.event_log_hash, b.event_log_hash);
  RunOptions other;
  other.seed = 2;
  EXPECT_NE(run_simulation(s, other).event_log_hash, a.event_log_hash);
  // The scenario, written out and read back, replays the same run.
  EXPECT_EQ(run_simulation(load_scenario_string(to_yaml(s), "again"), RunOptions{}).event_log_hash,
            a.event_log_hash);
}

TEST(SimBlocksTest, ScenarioKeysAreValidated) {
  const auto error = [](std::string_view extra) {
    std::string yaml =
        "network:\n  orgs: [{name: org1, msp_id: Org1MSP, peers: 2}]\n"
        "  channels: [{name: ch, orgs: [org1]}]\n";
    yaml += extra;
    try {
      load_scenario_string(yaml, "bad.yaml");
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("blocks: {rate: 0}\n").find("blocks.rate"), std::string::npos);
  EXPECT_NE(error("blocks: {channels: [nope]}\n").find("blocks.channels[0]"), std::string::npos);
  EXPECT_NE(error("blocks: {sizes: 3}\n").find("blocks.sizes"), std::string::npos);
  EXPECT_NE(error("faults: [{at: 1s, kind: orderer_down}]\n").find("blocks"), std::string::npos);
  EXPECT_NE(error("blocks: {}\nfaults: [{at: 1s, kind: orderer_refuse, status: SUCCESS}]\n")
                .find("faults[0].status"),
            std::string::npos);
  EXPECT_NE(error("blocks: {}\nfaults: [{at: 1s, kind: orderer_down, channel: x}]\n")
                .find("faults[0].channel"),
            std::string::npos);
  EXPECT_NE(error("membership: ideal\nblocks: {}\n").find("membership"), std::string::npos);
  EXPECT_EQ(error("blocks: {rate: 2, until: 5s}\n"
                  "faults: [{at: 1s, kind: orderer_refuse, status: FORBIDDEN}]\n"),
            "");
}

// --- each invariant can fail ----------------------------------------------

class ChainChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::BlockBuilder builder;
    for (int i = 0; i < 3; ++i) {
      common::Block block = builder.next({"tx" + std::to_string(i)});
      truth.add(std::make_shared<const std::string>(block.SerializeAsString()),
                ledger::header_hash(block.header()), TimePoint(std::chrono::seconds(i)));
      blocks.push_back(block);
    }
  }
  void fill(SimLedger& ledger, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
      ASSERT_TRUE(ledger.append(blocks[i], blocks[i].SerializeAsString()).ok);
  }
  OrdererChain truth;
  std::vector<common::Block> blocks;
  std::vector<std::string> problems;
};

TEST_F(ChainChecks, AFaithfulLedgerPasses) {
  SimLedger ledger(truth, {});
  ChainWatch watch;
  fill(ledger, 2);
  watch.observe(ledger, truth, "p", TimePoint{}, problems);
  fill(ledger, 0);
  ASSERT_TRUE(ledger.append(blocks[2], blocks[2].SerializeAsString()).ok);
  watch.observe(ledger, truth, "p", TimePoint{}, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(compare_with_orderer(ledger, truth, true, 0), "");
}

TEST_F(ChainChecks, HeightGoingDownIsCaught) {
  SimLedger ledger(truth, {});
  ChainWatch watch;
  fill(ledger, 3);
  watch.observe(ledger, truth, "p", TimePoint{}, problems);
  ledger.truncate_for_test();
  watch.observe(ledger, truth, "p", TimePoint{}, problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("height went down from 3 to 2"), std::string::npos);
}

TEST_F(ChainChecks, AReplacedBlockIsCaught) {
  SimLedger ledger(truth, {});
  ChainWatch watch;
  fill(ledger, 3);
  watch.observe(ledger, truth, "p", TimePoint{}, problems);
  common::Block other = blocks[2];
  other.mutable_header()->set_data_hash("another block 2");
  ledger.corrupt_for_test(2, other.SerializeAsString());
  watch.observe(ledger, truth, "p", TimePoint{}, problems);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("committed block 2 was replaced"), std::string::npos);
}

TEST_F(ChainChecks, AChainThatDiffersFromTheOrderersIsCaught) {
  SimLedger ledger(truth, {});
  fill(ledger, 2);
  EXPECT_NE(compare_with_orderer(ledger, truth, true, 0).find("height 2, the orderer's is 3"),
            std::string::npos);
  EXPECT_EQ(compare_with_orderer(ledger, truth, false, 2), "");
  EXPECT_NE(compare_with_orderer(ledger, truth, false, 3).find("below"), std::string::npos);
  common::Block other = blocks[1];
  other.mutable_header()->set_data_hash("another block 1");
  ledger.corrupt_for_test(1, other.SerializeAsString());
  EXPECT_NE(compare_with_orderer(ledger, truth, false, 2).find("differs"), std::string::npos);
}

TEST(SimBlocksTest, APeerCutOffUntilTheEndFailsTheChainCheck) {
  // No heal: the partition is the last fault, the tail follows it, and the
  // cut-off peer (up, so live) cannot hold the orderer's chain.
  const SimResult r = run_simulation(
      block_scenario(3, "70s", "20s",
                     "  - {at: 10s, kind: partition, sides: {alone: [peer2.org1]}}\n"),
      RunOptions{});
  EXPECT_TRUE(r.chain_checked);
  bool flagged = false;
  for (const std::string& v : r.violations)
    flagged |= v.find("peer2.org1 on ch does not hold the orderer's chain") != std::string::npos;
  EXPECT_TRUE(flagged);
}

}  // namespace
}  // namespace fabnet::sim

namespace fabnet::sim {
namespace {

// --explore draws blocks into about half of its scenarios, with the cuts ending
// before the tail, so the exact end-of-run chain check runs.
TEST(SimBlocksExplore, RandomScenariosCarryBlocksAndCheckTheChains) {
  int with_blocks = 0;
  std::optional<std::uint64_t> first;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const Scenario s = random_scenario(seed);
    if (!s.blocks.enabled) continue;
    ++with_blocks;
    if (!first) first = seed;
  }
  EXPECT_GE(with_blocks, 5);
  ASSERT_TRUE(first);
  RunOptions options;
  options.check_invariants = true;
  const SimResult r = run_simulation(random_scenario(*first), options);
  EXPECT_TRUE(r.chain_checked);
  EXPECT_TRUE(r.chain_check_exact);
  EXPECT_FALSE(r.blocks.empty());
  for (const std::string& v : r.violations) ADD_FAILURE() << v;
}

}  // namespace
}  // namespace fabnet::sim
