#include "sim/network.h"

#include <gtest/gtest.h>

#include <memory>

#include "sim/full_peer.h"
#include "sim/sim_crypto.h"

namespace fabnet::sim {
namespace {

using std::chrono::milliseconds;

gossip::MessagePtr alive_message() {
  auto m = std::make_shared<gossip::SignedGossip>();
  m->message.set_tag(::gossip::GossipMessage::EMPTY);
  m->message.mutable_alive_msg();
  m->payload = m->message.SerializeAsString();
  return m;
}

// A network of `n` peers p0..pn-1, each with an idle node attached.
class NetworkTest : public ::testing::Test {
 protected:
  void build(int n, LinkModel link = {milliseconds(5), milliseconds(0), 0, 0}) {
    network_ = std::make_unique<SimNetwork>(scheduler_, 1, link, log_);
    for (int i = 0; i < n; ++i) {
      const std::string name = "p" + std::to_string(i);
      crypto_.push_back(std::make_unique<SimCrypto>("Org1MSP", name));
      network_->add_peer(name, crypto_.back()->identity(), peer_endpoint(name), name);
    }
    for (int i = 0; i < n; ++i) start(static_cast<PeerIndex>(i));
  }
  void start(PeerIndex i) {
    node::NodeSettings s;
    s.self.pki_id = crypto_[i]->peer_name();
    s.self.identity = crypto_[i]->identity();
    s.self.org = "Org1MSP";
    s.self.endpoint = peer_endpoint(s.self.pki_id);
    if (nodes_.size() <= i) nodes_.resize(i + 1);
    nodes_[i] = std::make_unique<FullPeer>(s, scheduler_, network_->transport(i), *crypto_[i]);
    network_->attach(i, nodes_[i].get());
    nodes_[i]->start();
  }
  void send(PeerIndex from, PeerIndex to) {
    network_->transport(from).send_to_endpoint(peer_endpoint("p" + std::to_string(to)),
                                               alive_message());
  }
  std::uint64_t received(PeerIndex i) const {
    const auto& r = nodes_[i]->node().counters().received;
    auto it = r.find("alive_msg");
    return it == r.end() ? 0 : it->second;
  }

  runtime::VirtualScheduler scheduler_;
  EventLog log_;
  std::vector<std::unique_ptr<SimCrypto>> crypto_;
  std::unique_ptr<SimNetwork> network_;
  std::vector<std::unique_ptr<FullPeer>> nodes_;
};

TEST_F(NetworkTest, MessageArrivesAfterTheLatencyAndIsCountedByContent) {
  build(2);
  send(0, 1);
  scheduler_.run_for(milliseconds(4));
  EXPECT_EQ(received(1), 0u);
  scheduler_.run_for(milliseconds(1));
  EXPECT_EQ(received(1), 1u);
  const MessageStats stats = network_->stats();
  EXPECT_EQ(stats.count.at("alive_msg"), 1u);
  EXPECT_EQ(stats.bytes.at("alive_msg"), alive_message()->wire_size());
}

TEST_F(NetworkTest, ASendFromADownOrPausedPeerIsAViolationAndGoesNowhere) {
  build(3);
  network_->attach(0, nullptr);
  network_->set_paused(1, true);
  send(0, 2);
  send(1, 2);
  scheduler_.run_for(milliseconds(100));
  EXPECT_EQ(received(2), 0u);
  ASSERT_EQ(network_->violations().size(), 2u);
  EXPECT_NE(network_->violations()[0].find("p0 sent alive_msg while down"), std::string::npos);
  EXPECT_NE(network_->violations()[1].find("p1 sent alive_msg while paused"), std::string::npos);
}

TEST_F(NetworkTest, MessageInFlightToAPeerThatCrashesOrPausesIsLost) {
  build(3);
  send(0, 1);
  send(0, 2);
  network_->attach(1, nullptr);  // crash while in flight
  nodes_[1].reset();
  network_->set_paused(2, true);
  scheduler_.run_for(milliseconds(10));
  network_->set_paused(2, false);
  scheduler_.run_for(milliseconds(10));
  EXPECT_EQ(received(2), 0u);

  // Addressed to the previous incarnation: lost even if it is back in time.
  send(0, 1);
  start(1);
  scheduler_.run_for(milliseconds(10));
  EXPECT_EQ(received(1), 0u);
  send(0, 1);
  scheduler_.run_for(milliseconds(10));
  EXPECT_EQ(received(1), 1u);
}

TEST_F(NetworkTest, PartitionsCutBothWaysOneWayCutsOneAndHealByName) {
  build(3);
  Cut sides{"split", false, {0, 1, Cut::kRestSide}, {}, {}};
  network_->add_cut(sides);
  EXPECT_TRUE(network_->blocked(0, 1));
  EXPECT_TRUE(network_->blocked(1, 0));
  EXPECT_TRUE(network_->blocked(2, 0));  // unlisted peers form a side of their own
  Cut mute{"mute", true, {}, {true, false, false}, {false, true, true}};
  network_->heal("split");
  network_->add_cut(mute);
  EXPECT_TRUE(network_->blocked(0, 1));
  EXPECT_FALSE(network_->blocked(1, 0));
  EXPECT_FALSE(network_->connected(0, 2));
  EXPECT_TRUE(network_->connected(1, 2));
  send(0, 1);
  send(1, 0);
  scheduler_.run_for(milliseconds(10));
  EXPECT_EQ(received(1), 0u);
  EXPECT_EQ(received(0), 1u);
  EXPECT_EQ(network_->stats().blocked, 1u);
  network_->heal("");
  EXPECT_FALSE(network_->partitioned());
}

TEST_F(NetworkTest, LossAndDuplicationFollowTheirProbabilities) {
  build(2, LinkModel{milliseconds(1), milliseconds(10), 0.2, 0.1});
  for (int i = 0; i < 2000; ++i) send(0, 1);
  scheduler_.run_for(milliseconds(50));
  const MessageStats stats = network_->stats();
  EXPECT_NEAR(static_cast<double>(stats.lost), 400, 60);
  EXPECT_NEAR(static_cast<double>(stats.duplicated), 160, 40);
  EXPECT_EQ(received(1), 2000 - stats.lost + stats.duplicated);
}

TEST_F(NetworkTest, PeerLinkOverridesActOnlyOnThatPeersMessagesAndPairsWin) {
  build(3);
  network_->change_peer_link(0, LinkChange{std::nullopt, std::nullopt, 1.0, std::nullopt});
  EXPECT_EQ(network_->link_between(0, 1).loss, 1.0);  // from the peer
  EXPECT_EQ(network_->link_between(2, 0).loss, 1.0);  // to the peer
  EXPECT_EQ(network_->link_between(1, 2).loss, 0.0);  // elsewhere untouched
  network_->change_pair_link(0, 2, LinkChange{milliseconds(50), std::nullopt, 0.0, std::nullopt});
  EXPECT_EQ(network_->link_between(2, 0).loss, 0.0);  // the pair's own value wins
  EXPECT_EQ(network_->link_between(0, 2).latency, milliseconds(50));
  send(0, 1);
  send(1, 2);
  send(0, 2);
  scheduler_.run_for(milliseconds(10));
  EXPECT_EQ(received(1), 0u);
  EXPECT_EQ(received(2), 1u);  // from p1; p0's is still on its 50 ms way
  scheduler_.run_for(milliseconds(40));
  EXPECT_EQ(received(2), 2u);
  EXPECT_EQ(network_->stats().lost, 1u);
}

TEST_F(NetworkTest, ABroadcastOfTenThousandMessagesUsesOneSchedulerTimer) {
  build(2);
  const gossip::MessagePtr m = alive_message();
  const std::size_t timers_before = scheduler_.pending();
  for (int i = 0; i < 10'000; ++i) network_->transport(0).send_to_endpoint(peer_endpoint("p1"), m);
  EXPECT_EQ(network_->in_flight(), 10'000u);
  EXPECT_EQ(scheduler_.pending(), timers_before + 1) << "one delivery timer for all";
  scheduler_.run_for(milliseconds(10));
  EXPECT_EQ(received(1), 10'000u);
  EXPECT_EQ(network_->in_flight(), 0u);
}

TEST(EventLogTest, HashDependsOnEveryFieldAndOrder) {
  auto hash = [](auto&& fill) {
    EventLog log;
    fill(log);
    return log.hex();
  };
  const auto base = hash([](EventLog& l) { l.record(TimePoint(5), 1, "send", "alive", 2); });
  EXPECT_EQ(base, hash([](EventLog& l) { l.record(TimePoint(5), 1, "send", "alive", 2); }));
  EXPECT_NE(base, hash([](EventLog& l) { l.record(TimePoint(6), 1, "send", "alive", 2); }));
  EXPECT_NE(base, hash([](EventLog& l) { l.record(TimePoint(5), 1, "sen", "dalive", 2); }));
  EXPECT_NE(base, hash([](EventLog& l) { l.record(TimePoint(5), 1, "send", "alive", 3); }));
  const auto ab = hash([](EventLog& l) {
    l.record(TimePoint(1), 1, "a");
    l.record(TimePoint(1), 1, "b");
  });
  const auto ba = hash([](EventLog& l) {
    l.record(TimePoint(1), 1, "b");
    l.record(TimePoint(1), 1, "a");
  });
  EXPECT_NE(ab, ba);
}

}  // namespace
}  // namespace fabnet::sim
