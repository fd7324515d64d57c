// ConnectionTable: which stream carries traffic to each peer (connection_table.h),
// driven with fake streams and a hand-moved clock; no sockets.

#include "comm/connection_table.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace fabnet::comm {
namespace {

using namespace std::chrono_literals;
using Clock = ConnectionTable::Clock;

constexpr auto kConnTimeout = 2s;
constexpr std::size_t kSendBuffer = 3;

// The PKI-IDs order as id_less does: "a" < "m" < "z".
const PeerId kLow = "a";
const PeerId kSelf = "m";
const PeerId kHigh = "z";

// A stream as the table sees it; `cancelled` records that close() reached the RPC.
struct FakeStream {
  std::shared_ptr<Connection> connection;
  std::shared_ptr<bool> cancelled = std::make_shared<bool>(false);
};

FakeStream stream(const PeerId& remote, bool outbound) {
  FakeStream fake;
  auto call = std::make_shared<CancellableCall>();
  call->attach([flag = fake.cancelled] { *flag = true; });
  fake.connection = std::make_shared<Connection>(
      std::make_shared<ConnectionInfo>(ConnectionInfo{remote, "identity-" + remote, "host:1"}),
      call, outbound);
  return fake;
}

MessagePtr message(const std::string& payload) {
  auto m = std::make_shared<gossip::SignedGossip>();
  m->payload = payload;
  return m;
}

std::vector<std::string> queued(const Connection& c) {
  std::vector<std::string> payloads;
  for (const auto& m : c.queue) payloads.push_back(m->payload);
  return payloads;
}

class ConnectionTableTest : public ::testing::Test {
 protected:
  Clock::time_point now_ = Clock::time_point{} + 1h;
  ConnectionTable table_{kSelf, kSendBuffer, kConnTimeout, [this] { return now_; }};
};

TEST_F(ConnectionTableTest, OneConnectionPerPkiIdFoundByIdAndDialledEndpoint) {
  auto out = stream(kHigh, /*outbound=*/true);
  EXPECT_EQ(table_.add_outbound(out.connection, "z:7051", {}), out.connection);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.find(kHigh), out.connection);
  EXPECT_EQ(table_.find_by_endpoint("z:7051"), out.connection);
  EXPECT_EQ(table_.find(kLow), nullptr);
  EXPECT_EQ(table_.find_by_endpoint("a:7051"), nullptr);
}

TEST_F(ConnectionTableTest, NewestInboundReplacesTheExistingConnection) {
  auto first = stream(kLow, /*outbound=*/false);
  auto second = stream(kLow, /*outbound=*/false);
  table_.add_inbound(first.connection);
  EXPECT_EQ(table_.add_inbound(second.connection), second.connection);
  EXPECT_EQ(table_.find(kLow), second.connection);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.retired_count(), 1u);
}

// We are "m", the remote "z": our PKI-ID is lower, so both sides keep our dial.
TEST_F(ConnectionTableTest, CrossingInboundYieldsToOurDialWhenOurPkiIdIsLower) {
  auto ours = stream(kHigh, /*outbound=*/true);
  auto theirs = stream(kHigh, /*outbound=*/false);
  table_.add_outbound(ours.connection, "z:7051", {});
  now_ += kConnTimeout - 1ms;  // still crossing
  EXPECT_EQ(table_.add_inbound(theirs.connection), ours.connection);
  EXPECT_EQ(table_.find(kHigh), ours.connection);
  EXPECT_EQ(table_.retired_count(), 1u);
}

// Same remote, but our dial finished connTimeout ago: the remote restarted or lost
// it, so its new inbound stream replaces ours as §4.3 says.
TEST_F(ConnectionTableTest, InboundAfterConnTimeoutReplacesEvenOurOwnDial) {
  auto ours = stream(kHigh, /*outbound=*/true);
  auto theirs = stream(kHigh, /*outbound=*/false);
  table_.add_outbound(ours.connection, "z:7051", {});
  now_ += kConnTimeout;
  EXPECT_EQ(table_.add_inbound(theirs.connection), theirs.connection);
  EXPECT_EQ(table_.find(kHigh), theirs.connection);
}

// The remote "a" is lower: its dial (our inbound) wins on both sides.
TEST_F(ConnectionTableTest, CrossingInboundFromALowerPeerReplacesOurDial) {
  auto ours = stream(kLow, /*outbound=*/true);
  auto theirs = stream(kLow, /*outbound=*/false);
  table_.add_outbound(ours.connection, "a:7051", {});
  EXPECT_EQ(table_.add_inbound(theirs.connection), theirs.connection);
  EXPECT_EQ(table_.find(kLow), theirs.connection);
}

// Our dial finishes after the remote's inbound stream arrived.
TEST_F(ConnectionTableTest, FinishedDialReplacesACrossingInboundOnlyWhenOurPkiIdIsLower) {
  auto theirs_high = stream(kHigh, /*outbound=*/false);
  auto ours_high = stream(kHigh, /*outbound=*/true);
  table_.add_inbound(theirs_high.connection);
  EXPECT_EQ(table_.add_outbound(ours_high.connection, "z:7051", {}), ours_high.connection);

  auto theirs_low = stream(kLow, /*outbound=*/false);
  auto ours_low = stream(kLow, /*outbound=*/true);
  table_.add_inbound(theirs_low.connection);
  EXPECT_EQ(table_.add_outbound(ours_low.connection, "a:7051", {}), theirs_low.connection);
  EXPECT_EQ(table_.find(kLow), theirs_low.connection);
  // The endpoint still leads to the peer, over the stream that carries its traffic.
  EXPECT_EQ(table_.find_by_endpoint("a:7051"), theirs_low.connection);
}

TEST_F(ConnectionTableTest, QueueAndPendingDialMessagesMoveToTheSuccessor) {
  auto old_stream = stream(kLow, /*outbound=*/false);
  table_.add_inbound(old_stream.connection);
  table_.enqueue(*old_stream.connection, message("q1"));
  auto ours = stream(kLow, /*outbound=*/true);
  std::deque<MessagePtr> pending{message("p1")};
  // Remote "a" is lower: its inbound is kept, our dial retired; both queues end up on it.
  ASSERT_EQ(table_.add_outbound(ours.connection, "a:7051", std::move(pending)),
            old_stream.connection);
  EXPECT_EQ(queued(*old_stream.connection), (std::vector<std::string>{"q1", "p1"}));

  auto newer = stream(kLow, /*outbound=*/false);
  table_.add_inbound(newer.connection);
  EXPECT_TRUE(old_stream.connection->queue.empty());
  EXPECT_EQ(queued(*newer.connection), (std::vector<std::string>{"q1", "p1"}));
  EXPECT_EQ(table_.queued(), 2u);
  EXPECT_TRUE(table_.dropped().empty());
}

TEST_F(ConnectionTableTest, RetiredStreamStaysOpenForConnTimeoutThenIsHandedBackToClose) {
  auto first = stream(kLow, /*outbound=*/false);
  auto second = stream(kLow, /*outbound=*/false);
  table_.add_inbound(first.connection);
  table_.add_inbound(second.connection);
  ASSERT_TRUE(table_.next_expiry());
  EXPECT_EQ(*table_.next_expiry(), now_ + kConnTimeout);

  now_ += kConnTimeout - 1ms;
  EXPECT_TRUE(table_.take_expired().empty());  // still read: the remote may still send on it
  EXPECT_FALSE(first.connection->closed);
  EXPECT_FALSE(*first.cancelled);

  now_ += 1ms;
  auto expired = table_.take_expired();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], first.connection);
  EXPECT_EQ(table_.retired_count(), 0u);
  EXPECT_FALSE(table_.next_expiry());
  expired[0]->close();
  EXPECT_TRUE(*first.cancelled);
}

TEST_F(ConnectionTableTest, RetiredStreamEndingIsNotTheActiveOneEnding) {
  auto first = stream(kLow, /*outbound=*/false);
  auto second = stream(kLow, /*outbound=*/false);
  table_.add_inbound(first.connection);
  table_.add_inbound(second.connection);
  EXPECT_FALSE(table_.remove(*first.connection));  // not reported as the peer's loss
  EXPECT_EQ(table_.find(kLow), second.connection);
  EXPECT_TRUE(table_.remove(*second.connection));
  EXPECT_EQ(table_.find(kLow), nullptr);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ConnectionTableTest, RemovingAConnectionForgetsItsDialledEndpoint) {
  auto out = stream(kHigh, /*outbound=*/true);
  table_.add_outbound(out.connection, "z:7051", {});
  EXPECT_TRUE(table_.remove(*out.connection));
  EXPECT_EQ(table_.find_by_endpoint("z:7051"), nullptr);
}

TEST_F(ConnectionTableTest, FullQueueAndClosedConnectionDropInsteadOfBlocking) {
  auto out = stream(kHigh, /*outbound=*/true);
  table_.add_outbound(out.connection, "z:7051", {});
  for (int i = 0; i < 5; ++i) table_.enqueue(*out.connection, message(std::to_string(i)));
  EXPECT_EQ(out.connection->queue.size(), kSendBuffer);
  EXPECT_EQ(table_.dropped().at("queue_full"), 2u);
  out.connection->close();
  table_.enqueue(*out.connection, message("late"));
  EXPECT_EQ(table_.dropped().at("connection_closed"), 1u);
}

TEST_F(ConnectionTableTest, TakeAllEmptiesTheTableIncludingRetiredStreams) {
  table_.add_inbound(stream(kLow, false).connection);
  table_.add_inbound(stream(kLow, false).connection);
  table_.add_outbound(stream(kHigh, true).connection, "z:7051", {});
  EXPECT_EQ(table_.take_all().size(), 3u);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.retired_count(), 0u);
  EXPECT_EQ(table_.find_by_endpoint("z:7051"), nullptr);
}

}  // namespace
}  // namespace fabnet::comm
