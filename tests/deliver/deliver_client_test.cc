#include "deliver/deliver_client.h"

#include <gtest/gtest.h>

#include <limits>

#include "deliver/backoff.h"
#include "fake_orderer.h"
#include "ledger/memory_ledger.h"
#include "runtime/virtual_scheduler.h"
#include "test_chain.h"

namespace fabnet::deliver {
namespace {

using namespace std::chrono_literals;
using testing::ChainMaker;
using testing::FakeOrderer;
using testing::TagCrypto;

constexpr std::int64_t kUnixNow = 1'700'000'000;

// One peer's deliver client with its own ledger.
struct Peer {
  Peer(runtime::Scheduler& scheduler, FakeOrderer& orderer, DeliverSettings settings)
      : crypto(settings.identity),
        verifier("mychannel", {"OrdererMSP"}, verify_crypto),
        client(std::move(settings),
               DeliverDependencies{
                   scheduler,
                   orderer,
                   crypto,
                   ledger,
                   [this](const common::Block& b) { return verifier.verify(b, ledger.height()); },
                   [] { return kUnixNow; },
                   {}}) {
    client.set_on_block([this](std::uint64_t number, const std::string& bytes) {
      handed_on.push_back(number);
      EXPECT_EQ(bytes, *ledger.block_bytes(number));
    });
    client.set_on_verified([this](std::uint64_t number, const std::string&) {
      verified.push_back(number);
      EXPECT_EQ(ledger.height(), number) << "handed on before the append, not after";
    });
    client.set_on_give_up([this] { ++give_ups; });
    client.set_on_warning([this](std::string_view w) { warnings.emplace_back(w); });
  }
  TagCrypto crypto;
  TagCrypto verify_crypto{""};
  ledger::MemoryLedger ledger;
  ledger::BlockVerifier verifier;  // the channel's rules (protocol.md §3.5)
  DeliverClient client;
  std::vector<std::uint64_t> handed_on;
  std::vector<std::uint64_t> verified;  // set_on_verified, before each append
  int give_ups = 0;
  std::vector<std::string> warnings;
};

DeliverSettings settings_for(std::string name, bool static_leader = false) {
  DeliverSettings s;
  s.channel = "mychannel";
  s.identity = testing::make_identity("Org1MSP", name);
  s.endpoints = {"orderer0:7050", "orderer1:7050"};
  s.static_leader = static_leader;
  return s;
}

class DeliverClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Never two streams at once, after every event.
    scheduler.set_after_event_hook([this] { ASSERT_LE(orderer.open_streams(), max_streams); });
  }
  void add_blocks(int n) {
    for (int i = 0; i < n; ++i) orderer.add_block(chain.next());
  }
  // The peer's ledger holds exactly the orderer's first blocks, byte for byte.
  static void expect_prefix_of_orderer(const Peer& peer, const FakeOrderer& orderer) {
    ASSERT_LE(peer.ledger.height(), orderer.chain().size());
    for (std::uint64_t n = 0; n < peer.ledger.height(); ++n)
      EXPECT_EQ(*peer.ledger.block_bytes(n), orderer.chain()[n]) << "block " << n;
  }

  runtime::VirtualScheduler scheduler;
  FakeOrderer orderer{scheduler, 0ms};
  ChainMaker chain;
  std::size_t max_streams = 1;
};

TEST(ReconnectDelayTest, FollowsFabricsSequenceTruncatedToMilliseconds) {
  const runtime::Duration cap = 3600s;
  const std::vector<std::int64_t> expected_ms = {100, 120, 144, 172, 207, 248, 298, 358, 429, 515};
  for (std::size_t i = 0; i < expected_ms.size(); ++i)
    EXPECT_EQ(reconnect_delay(static_cast<int>(i) + 1, cap),
              std::chrono::milliseconds(expected_ms[i]))
        << "failure " << i + 1;
  // Exponent 57 is the last below the cap (1.2^57 x 100 ms = 3274 s); 58 is capped.
  EXPECT_LT(reconnect_delay(58, cap), cap);
  EXPECT_GT(reconnect_delay(58, cap), 3000s);
  EXPECT_EQ(reconnect_delay(59, cap), cap);
  EXPECT_EQ(reconnect_delay(1000, cap), cap);
  EXPECT_EQ(reconnect_delay(3, 130ms), 130ms);  // 1.2^2 x 100 = 144 > 130: capped
  EXPECT_EQ(reconnect_delay(2, 130ms), 120ms);
}

TEST_F(DeliverClientTest, SeekIsASignedDeliverSeekInfoFromTheLedgerHeight) {
  add_blocks(3);
  Peer peer(scheduler, orderer, settings_for("peer0"));
  peer.client.start();
  scheduler.run_for(1s);
  ASSERT_EQ(peer.ledger.height(), 3u);
  orderer.hang_up_all();
  scheduler.run_for(1s);
  ASSERT_EQ(orderer.seeks().size(), 2u);

  const auto& seek = orderer.seeks()[1];
  EXPECT_EQ(seek.channel_header.type(), common::DELIVER_SEEK_INFO);
  EXPECT_EQ(seek.channel_header.version(), 0);
  EXPECT_EQ(seek.channel_header.timestamp().seconds(), kUnixNow);
  EXPECT_EQ(seek.channel_header.timestamp().nanos(), 0);
  EXPECT_EQ(seek.channel_header.channel_id(), "mychannel");
  EXPECT_EQ(seek.channel_header.tx_id(), "");
  EXPECT_EQ(seek.start, 3u);
  EXPECT_EQ(seek.info.stop().specified().number(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(seek.info.behavior(), orderer::SeekInfo::BLOCK_UNTIL_READY);
  EXPECT_EQ(seek.info.error_response(), orderer::SeekInfo::STRICT);
  common::Payload payload;
  ASSERT_TRUE(payload.ParseFromString(seek.envelope.payload()));
  common::SignatureHeader signature_header;
  ASSERT_TRUE(signature_header.ParseFromString(payload.header().signature_header()));
  EXPECT_EQ(signature_header.creator(), peer.crypto.identity());
  EXPECT_EQ(signature_header.nonce().size(), 24u);
  EXPECT_TRUE(peer.crypto.verify(peer.crypto.identity(), seek.envelope.payload(),
                                 seek.envelope.signature()));
  EXPECT_TRUE(seek.endpoint == "orderer0:7050" || seek.endpoint == "orderer1:7050");
}

TEST_F(DeliverClientTest, ReceivesVerifiesAppendsAndHandsOnEveryBlock) {
  add_blocks(4);
  Peer peer(scheduler, orderer, settings_for("peer0"));
  peer.client.start();
  scheduler.run_for(1s);
  add_blocks(2);  // cut while the stream is open
  scheduler.run_for(1s);
  EXPECT_EQ(peer.ledger.height(), 6u);
  EXPECT_EQ(peer.handed_on, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(peer.verified, peer.handed_on);
  EXPECT_EQ(peer.client.counters().blocks_received, 6u);
  EXPECT_EQ(peer.client.counters().connects, 1u);
  EXPECT_TRUE(peer.client.connected());
  EXPECT_EQ(peer.client.counters().failures, 0u);
  expect_prefix_of_orderer(peer, orderer);
}

TEST_F(DeliverClientTest, BackoffBetweenAttemptsFollowsTheExactSequence) {
  orderer.set_down(true);
  Peer peer(scheduler, orderer, settings_for("peer0"));
  std::vector<runtime::TimePoint> attempts;
  peer.client.start();
  std::size_t seen = orderer.seeks().size();
  attempts.push_back(scheduler.now());
  while (scheduler.now() < runtime::TimePoint(10s)) {
    if (!scheduler.step()) break;
    if (orderer.seeks().size() > seen) {
      seen = orderer.seeks().size();
      attempts.push_back(scheduler.now());
    }
  }
  ASSERT_GE(attempts.size(), 8u);
  const std::vector<std::int64_t> expected_ms = {100, 120, 144, 172, 207, 248, 298};
  for (std::size_t i = 0; i < expected_ms.size(); ++i)
    EXPECT_EQ(attempts[i + 1] - attempts[i], std::chrono::milliseconds(expected_ms[i]))
        << "gap after failure " << i + 1;
  EXPECT_FALSE(peer.client.connected());
}

TEST_F(DeliverClientTest, DynamicLeaderGivesUpAndYieldsOnceTheTotalWouldPassTheThreshold) {
  orderer.set_down(true);
  auto s = settings_for("peer0");
  s.reconnect_total_time_threshold = 1s;
  Peer peer(scheduler, orderer, s);
  peer.client.start();
  scheduler.run_for(1h);
  // Sleeps 100+120+144+172+207+248 = 991 ms; the 7th failure's 298 ms would pass 1 s.
  EXPECT_EQ(peer.give_ups, 1);
  EXPECT_EQ(orderer.seeks().size(), 7u);
  EXPECT_EQ(peer.client.counters().failures, 7u);
  EXPECT_EQ(peer.client.counters().give_ups, 1u);
  EXPECT_FALSE(peer.client.running());
  EXPECT_EQ(scheduler.pending(), 0u);
  ASSERT_FALSE(peer.warnings.empty());
  EXPECT_NE(peer.warnings.back().find("giving up"), std::string::npos);
}

TEST_F(DeliverClientTest, StaticLeaderNeverGivesUp) {
  orderer.set_down(true);
  auto s = settings_for("peer0", /*static_leader=*/true);
  s.reconnect_total_time_threshold = 1s;
  s.reconnect_backoff_threshold = 10s;
  Peer peer(scheduler, orderer, s);
  peer.client.start();
  scheduler.run_for(1h);
  EXPECT_EQ(peer.give_ups, 0);
  EXPECT_TRUE(peer.client.running());
  EXPECT_GT(orderer.seeks().size(), 300u);  // still at it, every 10 s
  EXPECT_NE(peer.warnings.back().find("static leader"), std::string::npos);
  // And it still takes blocks once the orderer is back.
  orderer.set_down(false);
  add_blocks(2);
  scheduler.run_for(11s);
  EXPECT_EQ(peer.ledger.height(), 2u);
}

TEST_F(DeliverClientTest, ASuccessfulBlockResetsTheFailureCountAndTheTotal) {
  orderer.set_down(true);
  auto s = settings_for("peer0");
  s.reconnect_total_time_threshold = 1s;
  Peer peer(scheduler, orderer, s);
  peer.client.start();
  scheduler.run_for(700ms);  // 5 failures: 100+120+144+172+207 = 743 ms of budget used
  EXPECT_EQ(peer.client.consecutive_failures(), 5);
  orderer.set_down(false);
  add_blocks(1);
  scheduler.run_for(1s);
  EXPECT_EQ(peer.ledger.height(), 1u);
  EXPECT_EQ(peer.client.consecutive_failures(), 0);
  EXPECT_EQ(peer.client.total_backoff(), runtime::Duration::zero());

  // A second outage starts from 100 ms again and has the whole budget: 7 failures.
  const std::size_t seeks_before = orderer.seeks().size();
  orderer.set_down(true);
  scheduler.run_for(1h);
  EXPECT_EQ(orderer.seeks().size() - seeks_before, 6u);  // + the stream that was cut
  EXPECT_EQ(peer.give_ups, 1);
}

TEST_F(DeliverClientTest, ReconnectResumesFromTheLedgerHeightWithoutDuplicates) {
  add_blocks(3);
  Peer peer(scheduler, orderer, settings_for("peer0"));
  peer.client.start();
  scheduler.run_for(1s);
  orderer.hang_up_all();
  add_blocks(2);
  scheduler.run_for(1s);
  ASSERT_EQ(orderer.seeks().size(), 2u);
  EXPECT_EQ(orderer.seeks()[0].start, 0u);
  EXPECT_EQ(orderer.seeks()[1].start, 3u);
  EXPECT_EQ(peer.ledger.height(), 5u);
  EXPECT_EQ(peer.handed_on, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(peer.client.counters().refused.empty());
  EXPECT_EQ(peer.client.counters().disconnects, 1u);
  EXPECT_EQ(peer.client.counters().connects, 2u);
  expect_prefix_of_orderer(peer, orderer);
}

TEST_F(DeliverClientTest, AnyStatusEvenSuccessIsAFailure) {
  add_blocks(1);
  Peer peer(scheduler, orderer, settings_for("peer0"));
  peer.client.start();
  scheduler.run_for(1s);
  orderer.send_status(common::SUCCESS);
  scheduler.run_for(50ms);
  EXPECT_EQ(peer.client.counters().failures, 1u);
  EXPECT_FALSE(peer.client.connected());
  scheduler.run_for(100ms);
  EXPECT_EQ(orderer.seeks().size(), 2u);
  EXPECT_EQ(orderer.seeks()[1].start, 1u);
  EXPECT_TRUE(peer.client.connected());
}

TEST_F(DeliverClientTest, LeaderChangeTheNewLeaderResumesFromItsOwnHeightNoGapNoDuplicate) {
  add_blocks(5);
  Peer a(scheduler, orderer, settings_for("peerA"));
  Peer b(scheduler, orderer, settings_for("peerB"));
  // B led earlier and holds the first two blocks.
  for (std::uint64_t n = 0; n < 2; ++n) {
    common::Block block;
    block.ParseFromString(orderer.chain()[n]);
    ASSERT_TRUE(b.ledger.append(block, orderer.chain()[n]).ok);
  }
  a.client.start();
  scheduler.run_for(1s);
  EXPECT_EQ(a.ledger.height(), 5u);

  // A steps down; blocks keep coming; B is elected and resumes from 2.
  a.client.stop();
  add_blocks(3);
  b.client.start();
  scheduler.run_for(1s);
  EXPECT_EQ(orderer.seeks().back().start, 2u);
  EXPECT_EQ(b.ledger.height(), 8u);
  EXPECT_EQ(b.handed_on, (std::vector<std::uint64_t>{2, 3, 4, 5, 6, 7}));

  // Leadership back to A: from 5.
  b.client.stop();
  add_blocks(1);
  a.client.start();
  scheduler.run_for(1s);
  EXPECT_EQ(orderer.seeks().back().start, 5u);
  EXPECT_EQ(a.ledger.height(), 9u);
  EXPECT_EQ(a.handed_on, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  for (const Peer* p : {&a, &b}) {
    EXPECT_TRUE(p->client.counters().refused.empty());
    EXPECT_EQ(p->client.counters().failures, 0u);
    expect_prefix_of_orderer(*p, orderer);
  }
}

TEST_F(DeliverClientTest, StopClosesTheStreamCancelsTheRetryAndIgnoresLateEvents) {
  orderer.set_down(true);
  Peer peer(scheduler, orderer, settings_for("peer0"));
  peer.client.start();
  scheduler.run_for(50ms);  // failed once, backing off
  peer.client.stop();
  EXPECT_EQ(scheduler.pending(), 0u);
  scheduler.run_for(1h);
  EXPECT_EQ(orderer.seeks().size(), 1u);

  // Stop while blocks are in flight: none of them lands.
  orderer.set_down(false);
  FakeOrderer slow(scheduler, 10ms);
  for (int i = 0; i < 3; ++i) slow.add_block(chain.next());
  Peer late(scheduler, slow, settings_for("peer1"));
  late.client.start();
  scheduler.run_for(15ms);  // connected, no block yet
  late.client.stop();
  scheduler.run_for(1s);
  EXPECT_EQ(late.ledger.height(), 0u);
  EXPECT_EQ(slow.open_streams(), 0u);
  EXPECT_FALSE(late.client.connected());
}

TEST_F(DeliverClientTest, GiveUpCallbackMayStopAndRestartTheClient) {
  orderer.set_down(true);
  auto s = settings_for("peer0");
  s.reconnect_total_time_threshold = 200ms;
  Peer peer(scheduler, orderer, s);
  int restarts = 0;
  peer.client.set_on_give_up([&] {
    peer.client.stop();
    if (++restarts < 2) peer.client.start();  // e.g. re-elected at once
  });
  peer.client.start();
  scheduler.run_for(1h);
  EXPECT_EQ(restarts, 2);
  EXPECT_EQ(peer.client.counters().give_ups, 2u);
  EXPECT_FALSE(peer.client.running());
}

// Bad blocks from the orderer (protocol.md §3.5): refused, counted by reason, never
// appended, and a failure: the client reconnects and seeks the same block again.
struct BadBlockCase {
  const char* name;
  const char* reason;
  std::function<void(common::Block&)> tamper;
};

class BadBlockTest : public DeliverClientTest,
                     public ::testing::WithParamInterface<BadBlockCase> {};

TEST_P(BadBlockTest, IsRefusedCountedNeverAppendedAndCountsAsAFailure) {
  add_blocks(2);
  Peer peer(scheduler, orderer, settings_for("peer0"));
  peer.client.start();
  scheduler.run_for(1s);
  ASSERT_EQ(peer.ledger.height(), 2u);

  orderer.tamper_next(GetParam().tamper);
  add_blocks(1);
  scheduler.run_for(50ms);
  EXPECT_EQ(peer.ledger.height(), 2u);
  EXPECT_EQ(peer.client.counters().refused.at(GetParam().reason), 1u);
  EXPECT_EQ(peer.client.counters().failures, 1u);
  EXPECT_EQ(peer.handed_on.size(), 2u);
  EXPECT_EQ(peer.verified.size(), 2u) << "a refused block is never handed on early either";

  scheduler.run_for(1s);  // reconnects after 100 ms and gets the honest block
  ASSERT_EQ(orderer.seeks().size(), 2u);
  EXPECT_EQ(orderer.seeks()[1].start, 2u);
  EXPECT_EQ(peer.ledger.height(), 3u);
  expect_prefix_of_orderer(peer, orderer);
}

std::string forged_signatures(const common::Block& block, const std::string& signer) {
  common::Metadata signatures;
  signatures.ParseFromString(block.metadata().metadata(common::SIGNATURES));
  auto* s = signatures.mutable_signatures(0);
  common::SignatureHeader header;
  header.ParseFromString(s->signature_header());
  header.set_creator(signer);
  s->set_signature_header(header.SerializeAsString());
  return signatures.SerializeAsString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadBlockTest,
    ::testing::Values(
        BadBlockCase{"BrokenHashChain", "broken_hash_chain",
                     [](common::Block& b) {
                       b.mutable_header()->set_previous_hash(std::string(32, 'x'));
                       // Re-signed so only the chain is wrong.
                       b.mutable_metadata()->set_metadata(common::SIGNATURES, "");
                       TagCrypto o(testing::orderer_identity());
                       ledger::sign_block(b, testing::orderer_identity(),
                                          [&](std::string_view p) { return o.sign(p); });
                     }},
        BadBlockCase{
            "WrongDataHash", "wrong_data_hash",
            [](common::Block& b) { b.mutable_data()->set_data(0, ChainMaker::transaction(99)); }},
        BadBlockCase{
            "MissingOrdererSignature", "no_orderer_signature",
            [](common::Block& b) { b.mutable_metadata()->set_metadata(common::SIGNATURES, ""); }},
        BadBlockCase{"ForgedOrdererSignature", "bad_signature",
                     [](common::Block& b) {
                       // Claims another orderer node's identity with orderer0's signature.
                       b.mutable_metadata()->set_metadata(
                           common::SIGNATURES,
                           forged_signatures(b, testing::make_identity("OrdererMSP", "orderer1")));
                     }},
        BadBlockCase{"SignedByAPeerNotTheOrderer", "no_orderer_signature",
                     [](common::Block& b) {
                       b.mutable_metadata()->set_metadata(common::SIGNATURES, "");
                       TagCrypto peer(testing::make_identity("Org1MSP", "peer9"));
                       ledger::sign_block(b, peer.identity(),
                                          [&](std::string_view p) { return peer.sign(p); });
                     }},
        BadBlockCase{"WrongNumber", "wrong_number",
                     [](common::Block& b) {
                       b.mutable_header()->set_number(7);
                       b.mutable_metadata()->set_metadata(common::SIGNATURES, "");
                       TagCrypto o(testing::orderer_identity());
                       ledger::sign_block(b, testing::orderer_identity(),
                                          [&](std::string_view p) { return o.sign(p); });
                     }},
        BadBlockCase{"NotABlock", "malformed",
                     [](common::Block& b) {
                       // Invalid metadata: SIGNATURES slot missing entirely.
                       b.mutable_metadata()->clear_metadata();
                     }}),
    [](const ::testing::TestParamInfo<BadBlockCase>& info) { return info.param.name; });

}  // namespace
}  // namespace fabnet::deliver
