#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gossip/envelope.h"
#include "gossip/message.h"
#include "runtime/virtual_scheduler.h"
#include "state/block_puller.h"
#include "state/payload_buffer.h"
#include "state/state_transfer.h"

namespace fabnet::state {
namespace {

using runtime::VirtualScheduler;
using namespace std::chrono_literals;

constexpr char kChannel[] = "mychannel";

std::string block_bytes_of(std::uint64_t number) {
  return "block-" + std::to_string(number);
}

gossip::MessagePtr data_message(std::uint64_t number, const std::string& channel = kChannel) {
  ::gossip::GossipMessage m;
  m.set_channel(channel);
  m.set_tag(::gossip::GossipMessage::CHAN_AND_ORG);
  m.mutable_data_msg()->mutable_payload()->set_seq_num(number);
  m.mutable_data_msg()->mutable_payload()->set_data(block_bytes_of(number));
  return gossip::seal(std::move(m), nullptr);
}

// ---- PayloadBuffer -----------------------------------------------------------

BufferedBlock buffered(std::uint64_t number) {
  return BufferedBlock{number, std::make_shared<const std::string>(block_bytes_of(number)),
                       BlockSource::kPush, nullptr};
}

TEST(PayloadBuffer, CommitsInSequenceWhateverTheArrivalOrder) {
  PayloadBuffer buffer(20);
  std::uint64_t height = 0;
  std::vector<std::uint64_t> committed;
  for (std::uint64_t number : {3, 1, 4, 0, 2}) {
    EXPECT_EQ(buffer.push(height, buffered(number)), BufferVerdict::kAccepted);
    while (auto block = buffer.pop_next(height)) {
      committed.push_back(block->number);
      ++height;
    }
  }
  EXPECT_EQ(committed, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(PayloadBuffer, RefusesOldDuplicateAndTooFarAheadBlocks) {
  PayloadBuffer buffer(20);
  EXPECT_EQ(buffer.push(10, buffered(9)), BufferVerdict::kTooOld);
  EXPECT_EQ(buffer.push(10, buffered(29)), BufferVerdict::kAccepted);  // 29 − 10 = 19 < 20
  EXPECT_EQ(buffer.push(10, buffered(30)), BufferVerdict::kTooFarAhead);
  EXPECT_EQ(buffer.push(10, buffered(29)), BufferVerdict::kDuplicate);
  EXPECT_EQ(buffer.size(), 1u);
  EXPECT_EQ(buffer.highest(), 29u);
}

TEST(PayloadBuffer, PopDiscardsBlocksTheLedgerPassedMeanwhile) {
  PayloadBuffer buffer(20);
  buffer.push(0, buffered(1));
  buffer.push(0, buffered(2));
  buffer.push(0, buffered(5));
  EXPECT_FALSE(buffer.pop_next(3).has_value());  // 1 and 2 were committed by another path
  EXPECT_EQ(buffer.size(), 1u);
}

// ---- A small org of peers on one virtual clock ---------------------------------

struct Net;

// One peer's chain, pull engine and state transfer, with the host side a node would play.
struct Peer final : PullHost, StateHost {
  Peer(Net& net, PeerId id, PullSettings pull, StateTransferSettings st);

  // PullHost
  std::vector<PeerId> pull_targets(std::size_t count) override;
  bool may_pull_from_me(const PeerId& peer) override { return !refused.contains(peer); }
  PeerId pick_holder(const std::vector<PeerId>& holders) override { return holders.front(); }
  std::uint64_t new_nonce() override { return ++nonce; }
  std::uint64_t ledger_height() override { return chain.size(); }
  void send_pull_message(const PeerId& to, ::gossip::GossipMessage message) override;
  bool take_pulled_blocks(const PeerId&, const std::vector<MessagePtr>& blocks) override {
    for (const MessagePtr& m : blocks)
      if (m->message.data_msg().payload().data() !=
          block_bytes_of(m->message.data_msg().payload().seq_num()))
        return false;  // "verification" failed: drop the update whole
    for (const MessagePtr& m : blocks)
      offer(m->message.data_msg().payload().seq_num(), BlockSource::kPull);
    return true;
  }

  // StateHost
  std::vector<std::pair<PeerId, std::uint64_t>> advertised_heights() override;
  PeerId pick_one(const std::vector<PeerId>& peers) override { return peers.front(); }
  bool may_request_state(const PeerId& peer) override { return !refused.contains(peer); }
  std::optional<std::string> block_bytes(std::uint64_t number) override {
    if (number >= chain.size()) return std::nullopt;
    return chain[number];
  }
  void send_state_message(const PeerId& to, ::gossip::GossipMessage message) override;
  std::size_t take_state_blocks(const PeerId&,
                                const std::vector<const ::gossip::Payload*>& blocks) override {
    for (const ::gossip::Payload* p : blocks) offer(p->seq_num(), BlockSource::kStateTransfer);
    return blocks.size();
  }

  void offer(std::uint64_t number, BlockSource source) {
    buffer.push(chain.size(),
                BufferedBlock{number, std::make_shared<const std::string>(block_bytes_of(number)),
                              source, nullptr});
    while (auto block = buffer.pop_next(chain.size())) chain.push_back(*block->bytes);
  }
  void hold(std::uint64_t count) {
    for (std::uint64_t n = 0; n < count; ++n) {
      chain.push_back(block_bytes_of(n));
      puller.add(n, data_message(n));
    }
  }
  void receive(const PeerId& from, const ::gossip::GossipMessage& m);
  void gap_request_expired() override { ++gap_requests_expired; }
  int gap_requests_expired = 0;

  Net& net;
  PeerId id;
  std::vector<std::string> chain;
  PayloadBuffer buffer{20};
  BlockPuller puller;
  StateTransfer state;
  std::uint64_t nonce = 0;
  std::set<PeerId> refused;
  std::vector<::gossip::GossipMessage> sent;  // everything this peer sent, in order
  // Rewrites (or swallows, by returning false) what this peer sends: a hostile peer.
  std::function<bool(::gossip::GossipMessage&)> tamper;
};

struct Net {
  VirtualScheduler clock;
  std::map<PeerId, std::unique_ptr<Peer>> peers;
  Peer& add(const PeerId& id, PullSettings pull = {}, StateTransferSettings st = {}) {
    return *(peers[id] = std::make_unique<Peer>(*this, id, pull, st));
  }
  void deliver(const PeerId& from, const PeerId& to, ::gossip::GossipMessage m) {
    clock.schedule(5ms, [this, from, to, m = std::move(m)] {
      if (auto it = peers.find(to); it != peers.end()) it->second->receive(from, m);
    });
  }
};

Peer::Peer(Net& n, PeerId self, PullSettings pull, StateTransferSettings st)
    : net(n),
      id(std::move(self)),
      puller(kChannel, pull, n.clock, *this),
      state(kChannel, st, n.clock, *this) {}

std::vector<PeerId> Peer::pull_targets(std::size_t count) {
  std::vector<PeerId> out;
  for (const auto& [other, peer] : net.peers)
    if (other != id && out.size() < count) out.push_back(other);
  return out;
}

std::vector<std::pair<PeerId, std::uint64_t>> Peer::advertised_heights() {
  std::vector<std::pair<PeerId, std::uint64_t>> out;
  for (const auto& [other, peer] : net.peers)
    if (other != id) out.emplace_back(other, peer->chain.size());
  return out;
}

void Peer::send_pull_message(const PeerId& to, ::gossip::GossipMessage message) {
  message.set_channel(kChannel);
  message.set_tag(::gossip::GossipMessage::CHAN_AND_ORG);
  if (tamper && !tamper(message)) return;
  sent.push_back(message);
  net.deliver(id, to, std::move(message));
}

void Peer::send_state_message(const PeerId& to, ::gossip::GossipMessage message) {
  message.set_channel(kChannel);
  message.set_tag(::gossip::GossipMessage::CHAN_OR_ORG);
  if (tamper && !tamper(message)) return;
  sent.push_back(message);
  net.deliver(id, to, std::move(message));
}

void Peer::receive(const PeerId& from, const ::gossip::GossipMessage& m) {
  if (m.has_hello()) puller.on_hello(from, m.hello());
  if (m.has_data_dig()) puller.on_digest(from, m.data_dig());
  if (m.has_data_req()) puller.on_request(from, m.data_req());
  if (m.has_data_update()) puller.on_update(from, m.data_update());
  if (m.has_state_request()) state.on_request(from, m.nonce(), m.state_request());
  if (m.has_state_response()) state.on_response(from, m.nonce(), m.state_response());
}

StateTransferSettings state_off() {
  StateTransferSettings s;
  s.enabled = false;
  return s;
}

// ---- block pull --------------------------------------------------------------

TEST(BlockPuller, PullsTheBlocksAPeerOffersInOneRound) {
  Net net;
  Peer& behind = net.add("a", {}, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(5);
  behind.puller.start();
  net.clock.run_for(4s + 1s + 100ms);  // one pull interval, the digest wait, round trips
  EXPECT_EQ(behind.chain.size(), 5u);
  EXPECT_EQ(behind.puller.counters().blocks_pulled, 5u);
  // Hello, then a request with the hello's nonce (§10.3).
  ASSERT_GE(behind.sent.size(), 2u);
  ASSERT_TRUE(behind.sent[0].has_hello());
  ASSERT_TRUE(behind.sent[1].has_data_req());
  EXPECT_EQ(behind.sent[1].data_req().nonce(), behind.sent[0].hello().nonce());
  EXPECT_EQ(behind.sent[1].data_req().digests_size(), 5);
  EXPECT_EQ(behind.sent[1].data_req().digests(0), "0");
}

TEST(BlockPuller, AsksOnlyForBlocksAtOrAboveItsHeight) {
  Net net;
  Peer& behind = net.add("a", {}, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(6);
  for (std::uint64_t n = 0; n < 4; ++n) behind.chain.push_back(block_bytes_of(n));
  behind.puller.start();
  net.clock.run_for(5100ms);
  ASSERT_GE(behind.sent.size(), 2u);
  EXPECT_EQ(behind.sent[1].data_req().digests_size(), 2);  // 4 and 5
  EXPECT_EQ(behind.chain.size(), 6u);
}

TEST(BlockPuller, KeepsOnlyTheNewestBlocksForOthers) {
  Net net;
  PullSettings pull;
  pull.max_block_count_to_store = 3;
  Peer& peer = net.add("a", pull, state_off());
  for (std::uint64_t n = 0; n < 10; ++n) peer.puller.add(n, data_message(n));
  EXPECT_EQ(peer.puller.stored(), 3u);
  EXPECT_TRUE(peer.puller.holds(9));
  EXPECT_FALSE(peer.puller.holds(6));
}

TEST(BlockPuller, IneligiblePeerGetsNoDigest) {
  Net net;
  Peer& behind = net.add("a", {}, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(3);
  ahead.refused.insert("a");
  behind.puller.start();
  net.clock.run_for(5100ms);
  EXPECT_EQ(behind.chain.size(), 0u);
  EXPECT_EQ(ahead.puller.counters().hello_not_eligible, 1u);
  EXPECT_EQ(ahead.puller.counters().digests_sent, 0u);
}

TEST(BlockPuller, UpdateWithAnUnrequestedNonceIsDropped) {
  Net net;
  Peer& peer = net.add("a", {}, state_off());
  ::gossip::DataUpdate update;
  update.set_nonce(77);
  *update.add_data() = gossip::to_envelope(*data_message(0));
  peer.puller.on_update("b", update);
  EXPECT_EQ(peer.chain.size(), 0u);
  EXPECT_EQ(peer.puller.counters().unknown_nonce, 1u);
}

TEST(BlockPuller, ADigestFromAPeerNotGreetedIsDropped) {
  Net net;
  Peer& peer = net.add("a", {}, state_off());
  ::gossip::DataDigest digest;
  digest.set_nonce(1);
  digest.add_digests("0");
  peer.puller.on_digest("b", digest);
  EXPECT_EQ(peer.puller.counters().unknown_nonce, 1u);
}

TEST(BlockPuller, OneElementOfAnotherChannelDropsTheWholeUpdate) {
  Net net;
  Peer& behind = net.add("a", {}, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(3);
  ahead.tamper = [](::gossip::GossipMessage& m) {
    if (m.has_data_update())
      *m.mutable_data_update()->mutable_data(1) =
          gossip::to_envelope(*data_message(1, "otherchannel"));
    return true;
  };
  behind.puller.start();
  net.clock.run_for(5100ms);
  EXPECT_EQ(behind.chain.size(), 0u) << "not even blocks 0 and 2";
  EXPECT_EQ(behind.puller.counters().update_rejected, 1u);
}

TEST(BlockPuller, OneBlockFailingVerificationDropsTheWholeUpdate) {
  Net net;
  Peer& behind = net.add("a", {}, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(3);
  ahead.tamper = [](::gossip::GossipMessage& m) {
    if (m.has_data_update()) {
      ::gossip::GossipMessage forged = data_message(2)->message;
      forged.mutable_data_msg()->mutable_payload()->set_data("forged");
      *m.mutable_data_update()->mutable_data(2) =
          gossip::to_envelope(*gossip::seal(forged, nullptr));
    }
    return true;
  };
  behind.puller.start();
  net.clock.run_for(5100ms);
  EXPECT_EQ(behind.chain.size(), 0u);
  EXPECT_EQ(behind.puller.counters().update_rejected, 1u);
}

TEST(BlockPuller, OversizeDigestIsDroppedWhole) {
  Net net;
  PullSettings pull;
  pull.max_list_entries = 4;
  Peer& behind = net.add("a", pull, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(5);
  behind.puller.start();
  net.clock.run_for(5100ms);
  EXPECT_EQ(behind.chain.size(), 0u);
  EXPECT_EQ(behind.puller.counters().oversize_list, 1u);
  EXPECT_EQ(behind.puller.counters().requests_sent, 0u);
}

TEST(BlockPuller, OversizeUpdateIsDroppedWhole) {
  Net net;
  PullSettings pull;
  pull.max_list_entries = 4;
  Peer& behind = net.add("a", pull, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(3);
  // Three blocks were offered and asked for; six come back.
  ahead.tamper = [](::gossip::GossipMessage& m) {
    if (m.has_data_update())
      for (std::uint64_t n = 3; n < 6; ++n)
        *m.mutable_data_update()->add_data() = gossip::to_envelope(*data_message(n));
    return true;
  };
  behind.puller.start();
  net.clock.run_for(5100ms);
  EXPECT_EQ(behind.puller.counters().requests_sent, 1u);
  EXPECT_EQ(behind.puller.counters().oversize_list, 1u);
  EXPECT_EQ(behind.chain.size(), 0u) << "not even the three it asked for";
}

TEST(BlockPuller, AnUpdateAfterTheResponseWaitIsDropped) {
  Net net;
  Peer& behind = net.add("a", {}, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(2);
  ahead.tamper = [&net, &ahead](::gossip::GossipMessage& m) {
    if (!m.has_data_update()) return true;
    // Hold the update back past responseWaitTime (2 s).
    net.clock.schedule(2500ms, [&net, &ahead, m] { net.deliver(ahead.id, "a", m); });
    return false;
  };
  behind.puller.start();
  net.clock.run_for(8s);
  EXPECT_EQ(behind.chain.size(), 0u);
  EXPECT_GE(behind.puller.counters().unknown_nonce, 1u);
}

TEST(BlockPuller, DigestItemsAreStrictDecimalNumbers) {
  EXPECT_EQ(parse_digest_item("0"), 0u);
  EXPECT_EQ(parse_digest_item("18446744073709551615"), 18446744073709551615u);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "18446744073709551616", "1e3"})
    EXPECT_FALSE(parse_digest_item(bad).has_value()) << bad;
  EXPECT_EQ(digest_item(42), "42");
}

// ---- state transfer ------------------------------------------------------------

TEST(StateTransfer, CatchesUpInBatchesFromAPeerWhoseHeightCoversThem) {
  Net net;
  Peer& behind = net.add("a");
  Peer& ahead = net.add("b");
  ahead.hold(25);
  behind.state.start();
  net.clock.run_for(10s + 1s);
  EXPECT_EQ(behind.chain.size(), 25u);
  EXPECT_EQ(behind.state.counters().requests_sent, 3u);  // [0,9] [10,19] [20,24]
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& m : behind.sent)
    if (m.has_state_request())
      ranges.emplace_back(m.state_request().start_seq_num(), m.state_request().end_seq_num());
  EXPECT_EQ(ranges,
            (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{0, 9}, {10, 19}, {20, 24}}));
}

TEST(StateTransfer, DisabledNeverAsksButStillAnswers) {
  Net net;
  Peer& behind = net.add("a", {}, state_off());
  Peer& ahead = net.add("b", {}, state_off());
  ahead.hold(5);
  behind.state.start();
  net.clock.run_for(60s);
  EXPECT_EQ(behind.state.counters().requests_sent, 0u);
  ::gossip::RemoteStateRequest request;
  request.set_start_seq_num(1);
  request.set_end_seq_num(3);
  ahead.state.on_request("a", 9, request);
  net.clock.run_for(1s);
  ASSERT_FALSE(ahead.sent.empty());
  const ::gossip::GossipMessage& reply = ahead.sent.back();
  EXPECT_EQ(reply.nonce(), 9u);
  ASSERT_EQ(reply.state_response().payloads_size(), 3);
  EXPECT_EQ(reply.state_response().payloads(0).seq_num(), 1u);
}

TEST(StateTransfer, ReversedTooLongAndForbiddenRequestsGetNoAnswer) {
  Net net;
  Peer& peer = net.add("b");
  peer.hold(30);
  peer.refused.insert("x");
  const auto ask = [&](const PeerId& from, std::uint64_t start, std::uint64_t end) {
    ::gossip::RemoteStateRequest request;
    request.set_start_seq_num(start);
    request.set_end_seq_num(end);
    peer.state.on_request(from, 1, request);
  };
  ask("a", 5, 4);
  ask("a", 0, 11);  // 11 − 0 > batchSize 10
  ask("a", 0, ~std::uint64_t{0});
  ask("x", 0, 1);
  EXPECT_TRUE(peer.sent.empty());
  EXPECT_EQ(peer.state.counters().bad_range, 3u);
  EXPECT_EQ(peer.state.counters().not_reader, 1u);
  ask("a", 0, 10);  // exactly batchSize apart is allowed
  EXPECT_EQ(peer.sent.size(), 1u);
}

// A peer holding `blocks` blocks that never answers.
Peer& add_mute(Net& net, const PeerId& id, std::uint64_t blocks) {
  Peer& mute = net.add(id);
  mute.hold(blocks);
  mute.tamper = [](::gossip::GossipMessage&) { return false; };
  return mute;
}

TEST(StateTransfer, RetriesThenGivesUpWhenNobodyAnswers) {
  Net net;
  Peer& behind = net.add("a");
  add_mute(net, "b", 5);
  behind.state.start();
  net.clock.run_for(10s + 4 * 3s + 500ms);  // first check, then 1 + 3 retries of 3 s
  EXPECT_EQ(behind.state.counters().requests_sent, 4u);
  EXPECT_EQ(behind.state.counters().retries, 3u);
  EXPECT_EQ(behind.state.counters().gave_up, 1u);
  EXPECT_FALSE(behind.state.fetching());
}

TEST(StateTransfer, AGapFetchIsNotHeldBackByAPeriodicRequestStillOut) {
  Net net;
  Peer& behind = net.add("a");
  add_mute(net, "b", 5);
  behind.state.start();
  net.clock.run_for(10s + 100ms);  // the first check asks b, which never answers
  ASSERT_EQ(behind.state.counters().requests_sent, 1u);
  ASSERT_TRUE(behind.state.fetching());
  EXPECT_FALSE(behind.state.fetching_gap());
  Peer& helpful = net.add("c");
  helpful.hold(5);
  ASSERT_TRUE(behind.state.fetch_gap("c", 0, 4, 300ms));
  EXPECT_TRUE(behind.state.fetching_gap());
  EXPECT_FALSE(behind.state.fetch_gap("c", 0, 4, 300ms));  // one gap request at a time
  net.clock.run_for(20ms);
  EXPECT_EQ(behind.chain.size(), 5u) << "within the periodic request's 3 s responseTimeout";
  EXPECT_FALSE(behind.state.fetching_gap());
  EXPECT_TRUE(behind.state.fetching()) << "the periodic request is still out";
  EXPECT_EQ(behind.state.counters().unrequested, 0u);
}

TEST(StateTransfer, AnUnansweredGapRequestExpiresAfterItsOwnTimeoutAndTellsTheHost) {
  Net net;
  Peer& behind = net.add("a");
  add_mute(net, "b", 5);
  Peer& helpful = net.add("c");
  helpful.hold(5);
  behind.state.start();
  ASSERT_TRUE(behind.state.fetch_gap("b", 0, 4, 300ms));
  EXPECT_FALSE(behind.state.fetch_gap("c", 0, 4, 300ms));  // one request at a time
  net.clock.run_for(299ms);
  EXPECT_TRUE(behind.state.fetching());
  EXPECT_EQ(behind.gap_requests_expired, 0);
  net.clock.run_for(2ms);
  // Expired, not retried the periodic way: the host picks whom to ask next.
  EXPECT_FALSE(behind.state.fetching());
  EXPECT_EQ(behind.gap_requests_expired, 1);
  EXPECT_EQ(behind.state.counters().gap_timeouts, 1u);
  EXPECT_EQ(behind.state.counters().retries, 0u);
  ASSERT_TRUE(behind.state.fetch_gap("c", 0, 4, 300ms));
  net.clock.run_for(20ms);
  EXPECT_EQ(behind.chain.size(), 5u);
  EXPECT_EQ(behind.state.counters().gap_requests, 2u);
  EXPECT_EQ(behind.gap_requests_expired, 1);
}

TEST(StateTransfer, ResponsesNobodyAskedForAreDropped) {
  Net net;
  Peer& peer = net.add("a");
  ::gossip::RemoteStateResponse response;
  response.add_payloads()->set_seq_num(0);
  peer.state.on_response("b", 5, response);
  EXPECT_EQ(peer.state.counters().unrequested, 1u);
  EXPECT_EQ(peer.chain.size(), 0u);
}

TEST(StateTransfer, BlocksOutsideTheRequestedRangeAreDropped) {
  Net net;
  Peer& behind = net.add("a");
  Peer& ahead = net.add("b");
  ahead.hold(12);
  ahead.tamper = [](::gossip::GossipMessage& m) {
    if (m.has_state_response()) {
      ::gossip::Payload& extra = *m.mutable_state_response()->add_payloads();
      extra.set_seq_num(500);
      extra.set_data("unasked");
    }
    return true;
  };
  behind.state.start();
  net.clock.run_for(11s);
  EXPECT_EQ(behind.chain.size(), 12u);
  EXPECT_GE(behind.state.counters().unrequested_block, 1u);
}

}  // namespace
}  // namespace fabnet::state
