// The node's routing and tag rules over a small in-test network, in virtual time.

#include "node/node.h"
#include "crypto/openssl_handles.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "gossip/envelope.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/chain.h"
#include "ledger/memory_ledger.h"
#include "msp/identities.pb.h"
#include "node/leadership_store.h"
#include "node/tags.h"
#include "runtime/virtual_scheduler.h"
#include "wire/leadership_codec.h"

namespace fabnet::node {
namespace {

using ::gossip::GossipMessage;
using std::chrono::milliseconds;
using std::chrono::seconds;

// identity = SerializedIdentity{mspid, id_bytes = name}; PKI-ID = name; signature
// = a keyed hash of name and payload.
class TestCrypto final : public CryptoService {
 public:
  static std::string identity_for(const std::string& org, const std::string& name) {
    msp::SerializedIdentity id;
    id.set_mspid(org);
    id.set_id_bytes(name);
    return id.SerializeAsString();
  }
  std::optional<PeerId> pki_id_of(std::string_view identity) const override {
    msp::SerializedIdentity id;
    if (!id.ParseFromArray(identity.data(), static_cast<int>(identity.size()))) return std::nullopt;
    return id.id_bytes();
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    msp::SerializedIdentity id;
    if (!id.ParseFromArray(identity.data(), static_cast<int>(identity.size()))) return std::nullopt;
    return id.mspid();
  }
  std::string sign(std::string_view payload) const override {
    return "sig" + std::to_string(std::hash<std::string_view>{}(payload));
  }
  bool verify(std::string_view, std::string_view payload, std::string_view sig) const override {
    return sig == sign(payload);
  }
  std::string hash(std::string_view data) const override { return crypto::detail::sha256(data); }
};

// A ledger with the group-commit split, as the disk store has: staged blocks are
// neither visible nor stored until commit(), which records how many it covered.
class StagingLedger final : public ledger::Ledger {
 public:
  std::uint64_t height() const override { return chain_.height(); }
  std::string last_header_hash() const override { return chain_.last_header_hash(); }
  std::optional<std::string> block_bytes(std::uint64_t number) const override {
    return chain_.block_bytes(number);
  }
  std::optional<common::Block> block(std::uint64_t number) const override {
    return chain_.block(number);
  }
  ledger::AppendResult append(const common::Block& block, std::string_view bytes) override {
    if (!staged_.empty()) return {false, ledger::RefusalReason::kStorageFailure, "staged"};
    return chain_.append(block, bytes);
  }
  ledger::AppendResult stage(const common::Block& block, std::string_view bytes) override {
    auto link = ledger::check_chain_link(block, staged_height(), staged_last_header_hash());
    if (!link.ok) return link;
    staged_.emplace_back(block, std::string(bytes));
    return {};
  }
  ledger::AppendResult commit() override {
    if (staged_.empty()) return {};
    commits.push_back(staged_.size());
    for (const auto& [block, bytes] : staged_) EXPECT_TRUE(chain_.append(block, bytes).ok);
    staged_.clear();
    return {};
  }
  std::uint64_t staged_height() const override { return height() + staged_.size(); }
  std::string staged_last_header_hash() const override {
    return staged_.empty() ? last_header_hash()
                           : ledger::header_hash(staged_.back().first.header());
  }

  std::vector<std::size_t> commits;  // blocks covered by each commit, in order

 private:
  ledger::MemoryLedger chain_;
  std::vector<std::pair<common::Block, std::string>> staged_;
};

// A peer's blocks in memory. "Verification" stands in for protocol.md §3.5: the
// data hash must match and metadata[SIGNATURES] must hold the orderer's mark.
class TestLedgers final : public LedgerProvider, public ChannelLedger {
 public:
  static constexpr char kOrdererMark[] = "signed-by-the-orderer";
  ChannelLedger* ledger_for(const std::string& channel) override {
    return channel == "mychannel" ? this : nullptr;
  }
  ledger::Ledger& chain() override { return chain_; }
  StagingLedger& staging() { return chain_; }
  // With `defer_commits`, a commit waits for finish_commit(), as a disk ledger's
  // commit on a thread of its own would.
  void commit_staged(std::function<void(ledger::AppendResult)> done) override {
    if (!defer_commits) return done(chain_.commit());
    ASSERT_FALSE(pending_commit) << "a second commit while one is in flight";
    pending_commit = std::move(done);
  }
  void finish_commit() {
    ASSERT_TRUE(pending_commit);
    auto done = std::move(pending_commit);
    pending_commit = nullptr;
    done(chain_.commit());
  }
  bool defer_commits = false;
  std::function<void(ledger::AppendResult)> pending_commit;
  ledger::AppendResult verify(const common::Block& block, std::uint64_t number) override {
    if (block.header().number() != number) return {false, ledger::RefusalReason::kWrongNumber, ""};
    if (block.header().data_hash() != ledger::data_hash(block.data()))
      return {false, ledger::RefusalReason::kWrongDataHash, ""};
    if (block.metadata().metadata_size() == 0 || block.metadata().metadata(0) != kOrdererMark)
      return {false, ledger::RefusalReason::kNoOrdererSignature, ""};
    return {};
  }

 private:
  StagingLedger chain_;
};

// Block `number` of a test chain whose previous block header is `previous`.
std::string test_block(std::uint64_t number, const std::string& previous_header_hash,
                       bool signed_by_orderer = true) {
  common::Block block =
      ledger::make_block(number, previous_header_hash, {"envelope-" + std::to_string(number)});
  if (signed_by_orderer) block.mutable_metadata()->set_metadata(0, TestLedgers::kOrdererMark);
  return block.SerializeAsString();
}

struct TestNetwork;

class TestTransport final : public Transport {
 public:
  TestTransport(TestNetwork& net, std::string self) : net_(net), self_(std::move(self)) {}
  void send(const PeerId& to, const std::string&, MessagePtr message) override;
  void send_to_endpoint(const std::string& endpoint, MessagePtr message) override;

 private:
  TestNetwork& net_;
  std::string self_;
};

struct TestNetwork {
  struct Peer {
    std::string name, org;
    std::unique_ptr<TestTransport> transport;
    std::unique_ptr<Node> node;
  };
  runtime::VirtualScheduler scheduler;
  TestCrypto crypto;
  std::map<std::string, Peer> peers;
  std::map<std::string, std::string> by_endpoint;
  bool fabric_default_timings = false;
  bool with_ledgers = false;  // every peer keeps mychannel's blocks in a TestLedgers
  std::map<std::string, std::unique_ptr<TestLedgers>> ledgers;
  // Messages for which this returns true are lost in transit.
  std::function<bool(const std::string& from, const std::string& to, const SignedGossip&)> lose;
  // Transit time of a message when set; 1 ms otherwise.
  std::function<runtime::Duration(const std::string& from, const std::string& to,
                                  const SignedGossip&)>
      latency;
  std::vector<ChannelDefinition> channels{{"mychannel", {"Org1MSP", "Org2MSP"}},
                                          {"other", {"Org1MSP", "Org2MSP"}}};
  // Adjusts each node's settings before it is built.
  std::function<void(NodeSettings&)> tune;
  // The observer of a node, by name, given to it when it is built.
  std::map<std::string, NodeObserver*> observers;

  Node& add(const std::string& name, const std::string& org, const std::string& bootstrap,
            std::vector<std::string> join = {"mychannel"}) {
    NodeSettings s;
    s.self.pki_id = name;
    s.self.identity = TestCrypto::identity_for(org, name);
    s.self.org = org;
    s.self.endpoint = name + ":7051";
    s.self.external_endpoint = s.self.endpoint;
    s.self.inc_num = 1'000'000 + static_cast<std::uint64_t>(scheduler.now().count());
    if (!fabric_default_timings) {
      s.discovery.alive_time_interval = milliseconds(500);
      s.discovery.alive_expiration_timeout = milliseconds(2500);
      s.discovery.reconnect_interval = milliseconds(2500);
      s.discovery.pull_interval = milliseconds(400);
    }
    if (!bootstrap.empty() && bootstrap != name) s.discovery.bootstrap = {bootstrap + ":7051"};
    if (!fabric_default_timings) {
      s.election = election::ElectionTimings::fabric_test_timings();
      s.publish_state_info_interval = milliseconds(400);
      s.request_state_info_interval = milliseconds(400);
    }
    s.channels = channels;
    s.join_at_start = std::move(join);
    s.seed = std::hash<std::string>{}(name);
    Peer& p = peers[name];
    p.name = name;
    p.org = org;
    p.transport = std::make_unique<TestTransport>(*this, name);
    if (with_ledgers) s.blocks.pull.pull_interval = milliseconds(400);
    if (tune) tune(s);
    const auto observer = observers.find(name);
    p.node = std::make_unique<Node>(s, scheduler, *p.transport, crypto,
                                    observer == observers.end() ? nullptr : observer->second);
    if (with_ledgers) {
      ledgers[name] = std::make_unique<TestLedgers>();
      p.node->set_ledger_provider(ledgers[name].get());
    }
    by_endpoint[s.self.endpoint] = name;
    return *p.node;
  }
  void deliver(const std::string& from, const std::string& to, MessagePtr message) {
    if (lose && lose(from, to, *message)) return;
    const Node& sender = *peers.at(from).node;
    ConnectionInfo info{sender.id(), sender.settings().self.identity,
                        sender.settings().self.endpoint};
    const runtime::Duration transit = latency ? latency(from, to, *message) : milliseconds(1);
    scheduler.schedule(transit, [this, info, to, message] {
      auto it = peers.find(to);
      if (it == peers.end() || !it->second.node) return;  // receiver crashed meanwhile
      it->second.node->on_message(info, message);
    });
  }
  Node& node(const std::string& name) { return *peers.at(name).node; }
};

void TestTransport::send(const PeerId& to, const std::string&, MessagePtr message) {
  net_.deliver(self_, to, std::move(message));
}
void TestTransport::send_to_endpoint(const std::string& endpoint, MessagePtr message) {
  auto it = net_.by_endpoint.find(endpoint);
  if (it != net_.by_endpoint.end()) net_.deliver(self_, it->second, std::move(message));
}

class NodeTest : public ::testing::Test {
 protected:
  void build_two_orgs() {
    for (int i = 0; i < 3; ++i)
      net.add("peer" + std::to_string(i) + ".org1", "Org1MSP", "peer0.org1");
    for (int i = 0; i < 3; ++i)
      net.add("peer" + std::to_string(i) + ".org2", "Org2MSP", "peer0.org2");
    for (auto& [name, p] : net.peers) p.node->start();
    net.scheduler.run_for(seconds(10));
  }
  // Sends `message` to `to` as if it came over a connection from `from`.
  void inject(const std::string& from, const std::string& to, GossipMessage message,
              bool sign = true) {
    auto sealed = std::make_shared<SignedGossip>();
    sealed->payload = message.SerializeAsString();
    if (sign) sealed->signature = net.crypto.sign(sealed->payload);
    sealed->message = std::move(message);
    net.node(to).on_message({from, net.node(from).settings().self.identity, from + ":7051"},
                            sealed);
  }
  std::uint64_t dropped(const std::string& peer, const std::string& reason) {
    const auto& d = net.node(peer).counters().dropped;
    auto it = d.find(reason);
    return it == d.end() ? 0 : it->second;
  }
  GossipMessage leadership(const std::string& creator, std::uint64_t seq, bool declaration,
                           const std::string& channel = "mychannel") {
    return wire::to_gossip_message({creator, {7, seq}, declaration}, channel);
  }

  TestNetwork net;
};

TEST_F(NodeTest, EachOrgElectsItsOwnLeaderAndAllAgree) {
  build_two_orgs();
  for (const char* org : {"org1", "org2"}) {
    const std::string leader = std::string("peer0.") + org;
    for (int i = 0; i < 3; ++i) {
      const std::string name = "peer" + std::to_string(i) + "." + org;
      EXPECT_EQ(net.node(name).is_leader("mychannel"), i == 0) << name;
      const PeerId* believed = net.node(name).believed_leader("mychannel");
      ASSERT_NE(believed, nullptr) << name;
      EXPECT_EQ(*believed, leader) << name;
      EXPECT_EQ(net.node(name).channel_org_view("mychannel").size(), 2u) << name;
    }
  }
}

TEST_F(NodeTest, ViewsHoldOnlyMyOrgOnTheChannel) {
  build_two_orgs();
  EXPECT_EQ(net.node("peer1.org1").channel_org_view("mychannel"),
            (std::vector<PeerId>{"peer0.org1", "peer2.org1"}));
  EXPECT_TRUE(net.node("peer1.org1").channel_org_view("other").empty());
  // Bootstrap peers are same-org only, so without anchor peers each org's
  // membership holds just itself (protocol.md §6.3).
  EXPECT_EQ(net.node("peer1.org1").discovery().alive_count(), 2u);
}

TEST_F(NodeTest, LeadershipFromAnotherOrgIsDroppedAndCounted) {
  build_two_orgs();
  const auto before = dropped("peer1.org1", "sender_other_org");
  inject("peer0.org2", "peer1.org1", leadership("peer0.org2", 1000, true));
  EXPECT_EQ(dropped("peer1.org1", "sender_other_org"), before + 1);
  // Relayed by a same-org peer but created by a foreign one: still dropped.
  inject("peer2.org1", "peer1.org1", leadership("peer0.org2", 1001, true));
  EXPECT_EQ(dropped("peer1.org1", "creator_other_org"), 1u);
}

TEST_F(NodeTest, LeadershipForAChannelNotJoinedIsDropped) {
  build_two_orgs();
  inject("peer0.org1", "peer1.org1", leadership("peer0.org1", 1000, true, "other"));
  EXPECT_EQ(dropped("peer1.org1", "channel_not_joined"), 1u);
}

TEST_F(NodeTest, ReplayedLeadershipIsDroppedAsStale) {
  build_two_orgs();
  inject("peer0.org1", "peer1.org1", leadership("peer0.org1", 1'000'000, true));
  inject("peer0.org1", "peer1.org1", leadership("peer0.org1", 1'000'000, true));
  EXPECT_GE(dropped("peer1.org1", "stale"), 1u);
}

// protocol.md §8: the leadership store keeps a message 2 x TTL (TTL = LAT x 10 =
// 5 s here) for comparisons; until then a replay is stale, afterwards it is new.
TEST_F(NodeTest, LeadershipStoreForgetsAfterTwiceItsTtl) {
  build_two_orgs();
  net.node("peer2.org1").stop();  // its own newer messages would mask the replay
  const auto message =
      wire::to_gossip_message({"peer2.org1", {5'000'000'000ULL, 1}, false}, "mychannel");
  const auto stale = dropped("peer1.org1", "stale");
  inject("peer2.org1", "peer1.org1", message);
  EXPECT_EQ(dropped("peer1.org1", "stale"), stale);
  net.scheduler.run_for(seconds(9));
  inject("peer2.org1", "peer1.org1", message);
  EXPECT_EQ(dropped("peer1.org1", "stale"), stale + 1);
  net.scheduler.run_for(seconds(11));
  inject("peer2.org1", "peer1.org1", message);
  EXPECT_EQ(dropped("peer1.org1", "stale"), stale + 1) << "still held after 2 x TTL";
}

TEST(LeadershipStore, ComparesWhileHeldAndForgetsAtTwiceTheTtl) {
  LeadershipStore store(seconds(100));
  using runtime::TimePoint;
  EXPECT_TRUE(store.admit("a", {1, 5}, TimePoint(seconds(0))));
  EXPECT_FALSE(store.admit("a", {1, 5}, TimePoint(seconds(150))));  // expired, still compared
  EXPECT_FALSE(store.admit("a", {1, 4}, TimePoint(seconds(199))));
  EXPECT_TRUE(store.admit("a", {1, 4}, TimePoint(seconds(200))));  // removed: taken again
  store.sweep(TimePoint(seconds(1000)));
  EXPECT_EQ(store.size(), 0u);
}

TEST(DeclaredLeader, HoldsTheNewestDeclarerForTwiceTheLeaderAliveThreshold) {
  DeclaredLeader leader(seconds(10));
  using runtime::TimePoint;
  EXPECT_EQ(leader.at(TimePoint(seconds(0))), nullptr);
  leader.declared("a", TimePoint(seconds(5)));
  leader.declared("b", TimePoint(seconds(6)));
  ASSERT_NE(leader.at(TimePoint(seconds(26))), nullptr);
  EXPECT_EQ(*leader.at(TimePoint(seconds(26))), "b");
  EXPECT_EQ(leader.at(TimePoint(seconds(26) + std::chrono::nanoseconds(1))), nullptr);
}

TEST_F(NodeTest, BadSignatureAndIllegalTagAreDropped) {
  build_two_orgs();
  GossipMessage m = leadership("peer0.org1", 5'000'000, true);
  auto sealed = std::make_shared<SignedGossip>();
  sealed->payload = m.SerializeAsString();
  sealed->signature = "forged";
  sealed->message = m;
  net.node("peer1.org1")
      .on_message({"peer0.org1", net.node("peer0.org1").settings().self.identity, ""}, sealed);
  EXPECT_EQ(dropped("peer1.org1", "bad_signature"), 1u);

  m.set_tag(GossipMessage::CHAN_ONLY);
  inject("peer0.org1", "peer1.org1", m);
  EXPECT_EQ(dropped("peer1.org1", "illegal_tag"), 1u);
}

TEST_F(NodeTest, ForeignLeaderCannotUnseatTheOrgLeader) {
  // "a.org2" sorts below "peer0.org1": were its declaration handed to org1's
  // election, the leader would step down (a lower ID declared).
  net.add("a.org2", "Org2MSP", "peer0.org2");
  build_two_orgs();
  ASSERT_LT(PeerId("a.org2"), PeerId("peer0.org1"));
  ASSERT_TRUE(net.node("peer0.org1").is_leader("mychannel"));
  inject("a.org2", "peer0.org1", leadership("a.org2", 9'000'000, true));
  EXPECT_EQ(dropped("peer0.org1", "sender_other_org"), 1u);
  // Relayed by a peer of org1, still created by the foreign peer.
  inject("peer1.org1", "peer0.org1", leadership("a.org2", 9'000'001, true));
  EXPECT_EQ(dropped("peer0.org1", "creator_other_org"), 1u);
  net.scheduler.run_for(seconds(2));
  EXPECT_TRUE(net.node("peer0.org1").is_leader("mychannel"));
  EXPECT_EQ(net.node("peer0.org1").election("mychannel")->phase(), election::Phase::kLeading);
}

TEST_F(NodeTest, LeadershipFromAPeerNotYetInTheViewIsCounted) {
  build_two_orgs();
  // Org1's peer3 is known (its identity came with the connection) but has sent
  // no StateInfo or alive message, so it is in nobody's view yet.
  net.add("peer3.org1", "Org1MSP", "peer0.org1");
  inject("peer3.org1", "peer1.org1", leadership("peer3.org1", 1, true));
  EXPECT_EQ(dropped("peer1.org1", "sender_not_in_view"), 1u);
}

// Records what the node reports, as the daemon would log it.
struct RecordingObserver final : NodeObserver {
  void on_rejection(const Node&, const Rejection& r) override {
    rejections.push_back(r);
    lines.push_back(describe(r));
  }
  std::vector<Rejection> rejections;
  std::vector<std::string> lines;
};

class NodeRejectionTest : public NodeTest {
 protected:
  // peer1.org1 again, observed, so forged input can be handed to it directly.
  Node& observed() {
    if (!node_) {
      NodeSettings s = net.node("peer1.org1").settings();
      s.rejection_report_interval = seconds(60);
      node_ = std::make_unique<Node>(s, net.scheduler, transport_, net.crypto, &observer);
      node_->start();
    }
    return *node_;
  }
  std::shared_ptr<SignedGossip> forged(std::uint64_t seq) {
    auto sealed = std::make_shared<SignedGossip>();
    sealed->message = leadership("peer0.org1", seq, true);
    sealed->payload = sealed->message.SerializeAsString();
    sealed->signature = "forged";
    return sealed;
  }
  ConnectionInfo from_peer0() {
    return {"peer0.org1", net.node("peer0.org1").settings().self.identity, "10.0.0.7:7051"};
  }
  struct NullTransport final : Transport {
    void send(const PeerId&, const std::string&, MessagePtr) override {}
    void send_to_endpoint(const std::string&, MessagePtr) override {}
  };
  NullTransport transport_;
  RecordingObserver observer;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeRejectionTest, AForgedMessageIsReportedOnceWithPeerEndpointAndReason) {
  build_two_orgs();
  observed().on_message(from_peer0(), forged(1));
  ASSERT_EQ(observer.rejections.size(), 1u);
  const Rejection& r = observer.rejections.front();
  EXPECT_EQ(r.peer, "peer0.org1");
  EXPECT_EQ(r.endpoint, "10.0.0.7:7051");
  EXPECT_EQ(r.reason, gossip::DropReason::kBadSignature);
  EXPECT_EQ(observer.lines.front(), "rejected leadership_msg from 10.0.0.7:7051 (PKI-ID " +
                                        gossip::short_id_hex("peer0.org1") + "): bad_signature");
}

TEST_F(NodeRejectionTest, AFloodIsReportedOncePerIntervalAndCountedWhole) {
  build_two_orgs();
  Node& n = observed();
  for (int i = 0; i < 1000; ++i) n.on_message(from_peer0(), forged(100 + i));
  EXPECT_EQ(observer.rejections.size(), 1u);
  EXPECT_EQ(n.counters().dropped.at("bad_signature"), 1000u);
  net.scheduler.run_for(seconds(61));
  n.on_message(from_peer0(), forged(5000));
  ASSERT_EQ(observer.rejections.size(), 2u);
  EXPECT_EQ(observer.rejections.back().suppressed, 999u);
  EXPECT_TRUE(observer.lines.back().ends_with("(999 more since the last report)"))
      << observer.lines.back();
  // Normal loss (here a replay) is counted, never reported.
  auto genuine = forged(6000);
  genuine->signature = net.crypto.sign(genuine->payload);
  n.on_message(from_peer0(), genuine);
  n.on_message(from_peer0(), genuine);
  EXPECT_EQ(n.counters().dropped.at("stale"), 1u);
  EXPECT_EQ(observer.rejections.size(), 2u);
}

TEST_F(NodeTest, AnOversizeStateInfoSnapshotIsDroppedWhole) {
  build_two_orgs();
  GossipMessage snapshot;
  snapshot.set_channel("mychannel");
  snapshot.set_tag(GossipMessage::CHAN_OR_ORG);
  // Elements are cheap to forge; the cap must refuse them before any is looked at.
  const std::size_t cap = net.node("peer1.org1").settings().max_state_info_snapshot_entries;
  for (std::size_t i = 0; i <= cap; ++i) snapshot.mutable_state_snapshot()->add_elements();
  inject("peer0.org1", "peer1.org1", snapshot, /*sign=*/false);
  EXPECT_EQ(dropped("peer1.org1", "oversize_list"), 1u);
  EXPECT_EQ(dropped("peer1.org1", "malformed_snapshot_element"), 0u);
  // One element fewer is within the cap: each is looked at (and these are malformed).
  snapshot.mutable_state_snapshot()->mutable_elements()->RemoveLast();
  inject("peer0.org1", "peer1.org1", snapshot, /*sign=*/false);
  EXPECT_EQ(dropped("peer1.org1", "oversize_list"), 1u);
  EXPECT_EQ(dropped("peer1.org1", "malformed_snapshot_element"), cap);
}

TEST_F(NodeTest, LeaderCrashFailsOverWithinTheOrg) {
  build_two_orgs();
  net.peers.at("peer0.org1").node->stop();
  net.peers.at("peer0.org1").node.reset();
  net.scheduler.run_for(seconds(10));
  int leaders = 0;
  for (const char* name : {"peer1.org1", "peer2.org1"})
    leaders += net.node(name).is_leader("mychannel");
  EXPECT_EQ(leaders, 1);
  EXPECT_TRUE(net.node("peer0.org2").is_leader("mychannel"));
}

TEST_F(NodeTest, StoppedNodeSendsNothing) {
  build_two_orgs();
  Node& n = net.node("peer1.org1");
  n.stop();
  std::uint64_t sent = 0;
  for (const auto& [type, count] : n.counters().sent) sent += count;
  net.scheduler.run_for(seconds(10));
  std::uint64_t after = 0;
  for (const auto& [type, count] : n.counters().sent) after += count;
  EXPECT_EQ(sent, after);
}

// A peer that joins after the others stopped putting their identity into alive
// messages (publishCertPeriod) learns their certificates through the identity
// pull, and so can verify their alive messages and join the election.
TEST_F(NodeTest, LateJoinerLearnsIdentitiesThroughThePull) {
  for (int i = 0; i < 3; ++i)
    net.add("peer" + std::to_string(i) + ".org1", "Org1MSP", "peer0.org1");
  for (auto& [name, p] : net.peers) p.node->start();
  net.scheduler.run_for(seconds(15));  // past the 10 s publishCertPeriod
  Node& late = net.add("peer3.org1", "Org1MSP", "peer0.org1");
  late.start();
  net.scheduler.run_for(seconds(15));
  EXPECT_EQ(late.discovery().alive_count(), 3u);
  EXPECT_EQ(late.channel_org_view("mychannel").size(), 3u);
  const PeerId* leader = late.believed_leader("mychannel");
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(*leader, "peer0.org1");
  const auto updates = late.counters().received.find("data_update");
  ASSERT_NE(updates, late.counters().received.end()) << "no identity pull update arrived";
  EXPECT_GT(updates->second, 0u);
}

TEST(Tags, FollowFabricsLegalityTable) {
  GossipMessage m;
  m.mutable_alive_msg();
  m.set_tag(GossipMessage::EMPTY);
  EXPECT_TRUE(is_tag_legal(m));
  m.set_tag(GossipMessage::CHAN_AND_ORG);
  EXPECT_FALSE(is_tag_legal(m));
  m.mutable_leadership_msg();
  EXPECT_TRUE(is_tag_legal(m));
  m.set_tag(GossipMessage::UNDEFINED);
  EXPECT_FALSE(is_tag_legal(m));
  m.mutable_state_info();
  m.set_tag(GossipMessage::CHAN_OR_ORG);
  EXPECT_TRUE(is_tag_legal(m));
  m.mutable_hello()->set_msg_type(::gossip::IDENTITY_MSG);
  m.set_tag(GossipMessage::EMPTY);
  EXPECT_TRUE(is_tag_legal(m));
  m.mutable_hello()->set_msg_type(::gossip::UNDEFINED);
  EXPECT_FALSE(is_tag_legal(m));
  m.mutable_conn();
  m.set_tag(GossipMessage::UNDEFINED);
  EXPECT_TRUE(is_tag_legal(m));  // exempt
}

// ---- blocks among the peers of an org (protocol.md §10.2–§10.4) ----------------

class NodeBlocksTest : public NodeTest {
 protected:
  void SetUp() override {
    net.with_ledgers = true;
    build_two_orgs();
  }
  // The leader's deliver client got blocks [from, to) from the orderer: appended, handed on.
  void orderer_delivers(const std::string& leader, std::uint64_t from, std::uint64_t to) {
    ledger::Ledger& chain = net.ledgers.at(leader)->chain();
    for (std::uint64_t n = from; n < to; ++n) {
      const std::string bytes = test_block(n, chain.last_header_hash());
      common::Block block;
      block.ParseFromString(bytes);
      ASSERT_TRUE(chain.append(block, bytes).ok);
      net.node(leader).on_orderer_block("mychannel", n, bytes);
      net.scheduler.run_for(milliseconds(50));
    }
  }
  std::uint64_t height(const std::string& peer) { return net.ledgers.at(peer)->chain().height(); }
  // Appends the next block to `leader`'s chain and hands it to its node, without
  // running the scheduler.
  void orderer_hands_over(const std::string& leader) {
    ledger::Ledger& chain = net.ledgers.at(leader)->chain();
    const std::uint64_t n = chain.height();
    const std::string bytes = test_block(n, chain.last_header_hash());
    common::Block block;
    block.ParseFromString(bytes);
    ASSERT_TRUE(chain.append(block, bytes).ok);
    net.node(leader).on_orderer_block("mychannel", n, bytes);
  }
  // Every push (data message) to `peer` of a block for which `lost` holds is lost.
  void lose_pushes_to(const std::string& peer, std::function<bool(std::uint64_t)> lost) {
    net.lose = [peer, lost](const std::string&, const std::string& to, const SignedGossip& m) {
      return to == peer && m.message.has_data_msg() &&
             lost(m.message.data_msg().payload().seq_num());
    };
  }
  // peer0.org1, the leader, gets `count` blocks from the orderer, `apart` from each other.
  void hand_over_blocks(int count, runtime::Duration apart) {
    for (int i = 0; i < count; ++i) {
      orderer_hands_over("peer0.org1");
      net.scheduler.run_for(apart);
    }
  }
  // Counts the block pushes (data messages) sent, by "from>to".
  std::map<std::string, int>& count_pushes() {
    net.lose = [this](const std::string& from, const std::string& to, const SignedGossip& m) {
      if (m.message.has_data_msg()) ++pushes[from + ">" + to];
      return false;
    };
    return pushes;
  }
  int pushes_from(const std::string& peer) const {
    int total = 0;
    for (const auto& [route, n] : pushes)
      if (route.starts_with(peer + ">")) total += n;
    return total;
  }
  std::map<std::string, int> pushes;
};

TEST_F(NodeBlocksTest, TheLeadersBlocksReachEveryPeerOfItsOrgAndNoOther) {
  ASSERT_TRUE(net.node("peer0.org1").is_leader("mychannel"));
  orderer_delivers("peer0.org1", 0, 10);
  net.scheduler.run_for(seconds(2));
  for (const char* peer : {"peer1.org1", "peer2.org1"}) {
    EXPECT_EQ(height(peer), 10u) << peer;
    EXPECT_EQ(net.ledgers.at(peer)->chain().last_header_hash(),
              net.ledgers.at("peer0.org1")->chain().last_header_hash());
  }
  for (const char* peer : {"peer0.org2", "peer1.org2", "peer2.org2"})
    EXPECT_EQ(height(peer), 0u) << peer << ": org2's leader pulls its own blocks";
  EXPECT_GT(net.node("peer1.org1").blocks("mychannel")->counters().committed_by_push, 0u);
}

// Push batching (protocol.md §5.3): maxPropagationBurstLatency 10 ms, maxPropagationBurstSize 10.
TEST_F(NodeBlocksTest, ALonePushWaitsForTheNextTickOfTheBatchClockAtMost) {
  count_pushes();
  orderer_hands_over("peer0.org1");
  EXPECT_EQ(pushes_from("peer0.org1"), 0) << "sent before the batch was due";
  EXPECT_EQ(net.node("peer0.org1").blocks("mychannel")->push_pending(), 1u);
  net.scheduler.run_for(milliseconds(10));  // one latency period at most
  // My org has two other peers on the channel: the pick of propagatePeerNum (3) is both.
  EXPECT_EQ(pushes_from("peer0.org1"), 2);
  EXPECT_EQ(net.node("peer0.org1").blocks("mychannel")->push_pending(), 0u);
}

// The leader spreads an orderer block while its own disk still syncs it: the push
// does not wait for the append, and the append does not push the block again.
TEST_F(NodeBlocksTest, TheLeaderPushesAVerifiedBlockBeforeItsOwnAppendAndOnlyOnce) {
  count_pushes();
  ledger::Ledger& chain = net.ledgers.at("peer0.org1")->chain();
  const std::string bytes = test_block(0, chain.last_header_hash());
  net.node("peer0.org1").on_orderer_block_verified("mychannel", 1, bytes);  // not the next
  net.node("peer0.org1").on_orderer_block_verified("mychannel", 0, bytes);
  net.scheduler.run_for(milliseconds(10));
  EXPECT_EQ(pushes_from("peer0.org1"), 2) << "both peers of my org, before the append";
  EXPECT_EQ(chain.height(), 0u);
  common::Block block;
  block.ParseFromString(bytes);
  ASSERT_TRUE(chain.append(block, bytes).ok);
  net.node("peer0.org1").on_orderer_block("mychannel", 0, bytes);
  net.scheduler.run_for(milliseconds(200));  // before the tail push (250 ms)
  EXPECT_EQ(pushes_from("peer0.org1"), 2) << "pushed again after the append";
  EXPECT_EQ(height("peer1.org1"), 1u);
  EXPECT_EQ(height("peer2.org1"), 1u);
  // The quiet spell after the newest block: the tail push sends it to both once more.
  net.scheduler.run_for(seconds(1));
  EXPECT_EQ(pushes_from("peer0.org1"), 4);
  EXPECT_EQ(net.node("peer0.org1").blocks("mychannel")->counters().tail_pushes, 1u);
  EXPECT_EQ(net.node("peer0.org1").blocks("mychannel")->counters().committed_from_orderer, 1u);
}

TEST_F(NodeBlocksTest, AFullBatchIsSentAtOnceToOnePickOfPeers) {
  count_pushes();
  for (int i = 0; i < 9; ++i) orderer_hands_over("peer0.org1");
  EXPECT_EQ(pushes_from("peer0.org1"), 0);
  orderer_hands_over("peer0.org1");  // the tenth fills the batch
  EXPECT_EQ(pushes_from("peer0.org1"), 20) << "ten blocks to each of the two peers";
  const BlockCounters& k = net.node("peer0.org1").blocks("mychannel")->counters();
  EXPECT_EQ(k.push_batches, 1u);
  EXPECT_EQ(k.forwarded, 10u);
  net.scheduler.run_for(seconds(1));
  EXPECT_EQ(height("peer1.org1"), 10u);
  EXPECT_EQ(height("peer2.org1"), 10u);
  // The batch arrived in one turn of each follower's loop: one ledger sync for all ten.
  for (const char* peer : {"peer1.org1", "peer2.org1"}) {
    EXPECT_EQ(net.ledgers.at(peer)->staging().commits, std::vector<std::size_t>{10}) << peer;
    EXPECT_EQ(net.node(peer).blocks("mychannel")->counters().group_commits, 1u) << peer;
  }
}

TEST_F(NodeBlocksTest, AForwardNeverGoesBackToItsSender) {
  count_pushes();
  orderer_hands_over("peer0.org1");
  net.scheduler.run_for(milliseconds(100));
  EXPECT_EQ(height("peer1.org1"), 1u);
  EXPECT_EQ(height("peer2.org1"), 1u);
  EXPECT_EQ(pushes["peer1.org1>peer0.org1"], 0);
  EXPECT_EQ(pushes["peer2.org1>peer0.org1"], 0);
  // Each follower forwards once to the only peer left; the copy it then gets is a duplicate.
  EXPECT_EQ(pushes["peer1.org1>peer2.org1"], 1);
  EXPECT_EQ(pushes["peer2.org1>peer1.org1"], 1);
  EXPECT_EQ(dropped("peer1.org1", "block_too_old"), 1u);
}

// fabnet's forward pick (docs/operations.md, "Whom a block is pushed to"): a block goes to none
// of the peers known to hold it. One org of five on the channel, peer0 leading.
class NodeForwardPickTest : public NodeBlocksTest {
 protected:
  void SetUp() override {
    net.with_ledgers = true;
    for (int i = 0; i < 5; ++i)
      net.add("peer" + std::to_string(i) + ".org1", "Org1MSP", "peer0.org1");
    for (auto& [name, p] : net.peers) p.node->start();
    net.scheduler.run_for(seconds(10));
  }
  static GossipMessage first_block() {
    GossipMessage m;
    m.set_channel("mychannel");
    m.set_tag(GossipMessage::CHAN_AND_ORG);
    m.mutable_data_msg()->mutable_payload()->set_seq_num(0);
    m.mutable_data_msg()->mutable_payload()->set_data(test_block(0, ""));
    return m;
  }
};

TEST_F(NodeForwardPickTest, AForwardLeavesOutTheLeaderAndEachPeerWhoseCopyCameWhileItWaited) {
  ASSERT_TRUE(net.node("peer0.org1").is_leader("mychannel"));
  count_pushes();
  inject("peer2.org1", "peer1.org1", first_block(), /*sign=*/false);
  inject("peer3.org1", "peer1.org1", first_block(), /*sign=*/false);  // before the batch is due
  EXPECT_EQ(net.node("peer1.org1").blocks("mychannel")->counters().holders_learned, 1u);
  net.scheduler.run_for(milliseconds(10));
  EXPECT_EQ(height("peer1.org1"), 1u);
  // The pick is all three of peers 2, 3 and 4 (the leader, peer0, is not picked), and
  // only peer4 is not known to hold the block: peer2 sent it, peer3 sent a copy.
  // Fabric's pick (three of 0, 2, 3, 4, less the sender) would also send to peer3 and
  // maybe peer0.
  EXPECT_EQ(pushes_from("peer1.org1"), 1);
  EXPECT_EQ(pushes["peer1.org1>peer4.org1"], 1);
  EXPECT_EQ(net.node("peer1.org1").blocks("mychannel")->counters().forwarded, 1u);
}

TEST_F(NodeBlocksTest, AGapBelowBufferedBlocksIsFetchedAtOnceNotAtTheNextRound) {
  // Every push of block 2 to peer2.org1 is lost; blocks 3.. arrive and wait.
  lose_pushes_to("peer2.org1", [](std::uint64_t n) { return n == 2; });
  hand_over_blocks(6, milliseconds(20));
  net.scheduler.run_for(milliseconds(150));  // gap_fetch_delay 15 ms, then one round trip
  EXPECT_EQ(height("peer2.org1"), 6u);
  const ChannelBlocks& blocks = *net.node("peer2.org1").blocks("mychannel");
  EXPECT_GE(blocks.state_counters().gap_requests, 1u);
  EXPECT_GE(blocks.counters().committed_by_state_transfer, 1u);
}

TEST_F(NodeBlocksTest, ASecondGapFoundWhileTheFirstIsFetchedIsFetchedWithoutAnotherPush) {
  // Blocks 2 and 4 never reach peer2.org1 by push, and state responses to it are slow:
  // the gap at 4 is found while the request for 2 is still out, and block 5 is the
  // last push, so nothing but the retry of the gap fetch brings 4 before the next
  // pull round (400 ms here).
  net.lose = [](const std::string&, const std::string& to, const SignedGossip& m) {
    if (to != "peer2.org1" || !m.message.has_data_msg()) return false;
    const std::uint64_t n = m.message.data_msg().payload().seq_num();
    return n == 2 || n == 4;
  };
  net.latency = [](const std::string&, const std::string& to, const SignedGossip& m) {
    return to == "peer2.org1" && m.message.has_state_response() ? milliseconds(40)
                                                                : milliseconds(1);
  };
  hand_over_blocks(6, milliseconds(12));
  net.scheduler.run_for(milliseconds(150));
  EXPECT_EQ(height("peer2.org1"), 6u);
  EXPECT_GE(net.node("peer2.org1").blocks("mychannel")->state_counters().gap_requests, 2u);
}

TEST_F(NodeBlocksTest, AGapRequestTheLeaderNeverAnswersIsSentToAnotherPeerWithinItsTimeout) {
  // Block 2 never reaches peer2.org1 by push, and the leader's answers to it are lost:
  // the gap must come from another peer after gap_fetch_timeout (300 ms), not after
  // state.responseTimeout (3 s) and the advertised heights.
  net.lose = [](const std::string& from, const std::string& to, const SignedGossip& m) {
    if (to != "peer2.org1") return false;
    if (m.message.has_data_msg()) return m.message.data_msg().payload().seq_num() == 2;
    return from == "peer0.org1" && m.message.has_state_response();
  };
  hand_over_blocks(6, milliseconds(20));
  const ChannelBlocks& blocks = *net.node("peer2.org1").blocks("mychannel");
  EXPECT_EQ(height("peer2.org1"), 2u);
  net.scheduler.run_for(milliseconds(400));
  EXPECT_EQ(height("peer2.org1"), 6u);
  EXPECT_EQ(blocks.state_counters().gap_timeouts, 1u);
  EXPECT_GE(blocks.state_counters().gap_requests, 2u);
  EXPECT_GE(blocks.counters().committed_by_state_transfer, 1u);
}

TEST_F(NodeBlocksTest, TheLastBlockOfABurstThatMissedAFollowerComesWithTheTailPush) {
  // Every push of block 3, the last of the burst, to peer2.org1 is lost while the burst
  // lasts; no later block shows peer2 the gap.
  bool losing = true;
  net.lose = [&losing](const std::string&, const std::string& to, const SignedGossip& m) {
    return losing && to == "peer2.org1" && m.message.has_data_msg() &&
           m.message.data_msg().payload().seq_num() == 3;
  };
  hand_over_blocks(4, milliseconds(20));
  losing = false;
  const ChannelBlocks& leader = *net.node("peer0.org1").blocks("mychannel");
  const ChannelBlocks& follower = *net.node("peer2.org1").blocks("mychannel");
  net.scheduler.run_for(milliseconds(200));  // 220 ms after block 3: before the tail push
  EXPECT_EQ(height("peer2.org1"), 3u);
  EXPECT_EQ(leader.counters().tail_pushes, 0u);
  net.scheduler.run_for(milliseconds(40));  // 250 ms after block 3, plus transit
  EXPECT_EQ(leader.counters().tail_pushes, 1u);
  EXPECT_EQ(height("peer2.org1"), 4u);
  EXPECT_EQ(follower.counters().committed_by_pull, 0u);
  // One tail push per quiet spell: no block since, no further push.
  net.scheduler.run_for(seconds(2));
  EXPECT_EQ(leader.counters().tail_pushes, 1u);
}

TEST_F(NodeBlocksTest, ARunOfReadyBlocksIsCommittedWithOneSync) {
  // Block 2 never reaches peer2.org1 by push: 3, 4, 5 wait in its buffer.
  lose_pushes_to("peer2.org1", [](std::uint64_t n) { return n == 2; });
  // 0, 1 and 2 a batch each; 3, 4 and 5 together, so that all three are buffered
  // before the gap fetch (gap_fetch_delay 15 ms) brings 2.
  hand_over_blocks(3, milliseconds(20));
  hand_over_blocks(3, milliseconds(3));
  net.scheduler.run_for(milliseconds(5));
  const ChannelBlocks& blocks = *net.node("peer2.org1").blocks("mychannel");
  ASSERT_EQ(height("peer2.org1"), 2u);
  ASSERT_EQ(blocks.buffered(), 3u);
  net.scheduler.run_for(milliseconds(150));  // the gap fetch brings block 2
  ASSERT_EQ(height("peer2.org1"), 6u);
  // 0 and 1 came one at a time; 2 filled the gap and 2..5 went to the ledger together.
  EXPECT_EQ(net.ledgers.at("peer2.org1")->staging().commits, (std::vector<std::size_t>{1, 1, 4}));
  EXPECT_EQ(blocks.counters().group_commits, 3u);
  EXPECT_EQ(blocks.counters().committed_by_push + blocks.counters().committed_by_state_transfer,
            6u);
  // The peer that got every push committed each batch with one sync: 0, 1, 2, then 3..5.
  EXPECT_EQ(net.ledgers.at("peer1.org1")->staging().commits,
            (std::vector<std::size_t>{1, 1, 1, 3}));
}

// A commit that takes its time (a slow disk, synced off the loop): the peer goes on
// forwarding, stages nothing more meanwhile, and commits what arrived in one go after.
TEST_F(NodeBlocksTest, BlocksArrivingDuringASlowCommitAreForwardedAndShareTheNextCommit) {
  count_pushes();
  TestLedgers& follower = *net.ledgers.at("peer1.org1");
  follower.defer_commits = true;
  orderer_hands_over("peer0.org1");
  net.scheduler.run_for(milliseconds(20));
  ASSERT_TRUE(follower.pending_commit) << "block 0 is being committed";
  EXPECT_EQ(height("peer1.org1"), 0u);
  const int forwarded_before = pushes_from("peer1.org1");
  hand_over_blocks(3, milliseconds(20));
  EXPECT_GT(pushes_from("peer1.org1"), forwarded_before) << "forwarding waited for the disk";
  EXPECT_EQ(follower.staging().staged_height(), 1u) << "staged more while a commit ran";
  follower.finish_commit();  // block 0 durable; 1..3 are ready and go together
  EXPECT_EQ(height("peer1.org1"), 1u);
  ASSERT_TRUE(follower.pending_commit);
  follower.finish_commit();
  EXPECT_EQ(height("peer1.org1"), 4u);
  EXPECT_EQ(follower.staging().commits, (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(net.node("peer1.org1").blocks("mychannel")->counters().committed_by_push, 4u);
  net.scheduler.run_for(seconds(1));
  EXPECT_FALSE(follower.pending_commit) << "nothing left to commit";
}

class NodeUnbatchedBlocksTest : public NodeBlocksTest {
 protected:
  void SetUp() override {
    net.tune = [](NodeSettings& s) { s.blocks.max_propagation_burst_size = 1; };
    NodeBlocksTest::SetUp();
  }
};

TEST_F(NodeUnbatchedBlocksTest, ABurstSizeOfOneSendsEachBlockAtOnce) {
  count_pushes();
  orderer_hands_over("peer0.org1");
  EXPECT_EQ(pushes_from("peer0.org1"), 2);
  orderer_hands_over("peer0.org1");
  EXPECT_EQ(pushes_from("peer0.org1"), 4);
  EXPECT_EQ(net.node("peer0.org1").blocks("mychannel")->counters().push_batches, 2u);
}

class NodeCappedTailPushTest : public NodeBlocksTest {
 protected:
  void SetUp() override {
    net.tune = [](NodeSettings& s) { s.blocks.tail_push_max_peers = 1; };
    NodeBlocksTest::SetUp();
  }
};

TEST_F(NodeCappedTailPushTest, TheTailPushGoesToAtMostTailPushMaxPeers) {
  orderer_hands_over("peer0.org1");
  net.scheduler.run_for(milliseconds(100));  // pushed to both peers of my org
  count_pushes();
  net.scheduler.run_for(milliseconds(200));  // the tail push, 250 ms after the block
  EXPECT_EQ(net.node("peer0.org1").blocks("mychannel")->counters().tail_pushes, 1u);
  EXPECT_EQ(pushes_from("peer0.org1"), 1) << "one of the two peers of my org";
}

// Records the holes a node reports in the blocks pushed to it.
struct GapObserver final : NodeObserver {
  void on_block_gap(const Node&, const std::string& channel, std::uint64_t first_missing,
                    std::uint64_t arrived) override {
    gaps.push_back(fmt::format("{} [{}, {})", channel, first_missing, arrived));
  }
  std::vector<std::string> gaps;
};

class NodeGapReportTest : public NodeBlocksTest {
 protected:
  void SetUp() override {
    net.observers["peer2.org1"] = &observer;
    NodeBlocksTest::SetUp();
  }
  // The nodes go first: they report to the observer until they stop, and the
  // observer, a member of this class, is destroyed before the base's network.
  void TearDown() override {
    for (auto& [name, peer] : net.peers) peer.node.reset();
  }
  GapObserver observer;
};

TEST_F(NodeGapReportTest, EachHoleInThePushedBlocksIsReportedOnceByTheBlockJustAboveIt) {
  // Blocks 2, 3 and 5 never reach peer2.org1 by push; each block comes alone (20 ms
  // apart), so 4 shows the hole [2, 4) and 6 the hole [5, 6), once each, though the
  // other copies of 4 and 6 arrive too and the gap fetch fills the holes meanwhile.
  lose_pushes_to("peer2.org1", [](std::uint64_t n) { return n == 2 || n == 3 || n == 5; });
  hand_over_blocks(8, milliseconds(20));
  net.scheduler.run_for(milliseconds(200));
  EXPECT_EQ(height("peer2.org1"), 8u);
  EXPECT_EQ(observer.gaps, (std::vector<std::string>{"mychannel [2, 4)", "mychannel [5, 6)"}));
}

TEST_F(NodeGapReportTest, BlocksPushedInOrderReportNoHole) {
  hand_over_blocks(8, milliseconds(20));
  net.scheduler.run_for(milliseconds(200));
  EXPECT_EQ(height("peer2.org1"), 8u);
  EXPECT_TRUE(observer.gaps.empty()) << observer.gaps.front();
}

class NodeNoFetchTest : public NodeBlocksTest {
 protected:
  void SetUp() override {
    // Nothing but push: no gap fetch, no tail push, no pull round within the test.
    net.tune = [](NodeSettings& s) {
      s.blocks.gap_fetch_delay = runtime::Duration::zero();
      s.blocks.tail_push_delay = runtime::Duration::zero();
      s.blocks.pull.pull_interval = seconds(60);
    };
    NodeBlocksTest::SetUp();
  }
};

TEST_F(NodeNoFetchTest, ABlockFarBelowTheNewestHeldIsCommittedButNotForwarded) {
  // peer2.org1 misses block 1, then holds 2..14 (maxBlockCountToStore is 10).
  lose_pushes_to("peer2.org1", [](std::uint64_t n) { return n == 1; });
  hand_over_blocks(15, milliseconds(20));
  ASSERT_EQ(height("peer2.org1"), 1u);
  // Block 1 now comes by push after all. The store keeps blocks from 4 on: it would
  // drop 1 at once, so forwarding it would send it round the org on every copy.
  int forwarded_by_peer2 = 0;
  net.lose = [&forwarded_by_peer2](const std::string& from, const std::string&,
                                   const SignedGossip& m) {
    if (from == "peer2.org1" && m.message.has_data_msg() &&
        m.message.data_msg().payload().seq_num() == 1)
      ++forwarded_by_peer2;
    return false;
  };
  Node& peer2 = net.node("peer2.org1");
  GossipMessage block;
  block.set_channel("mychannel");
  block.set_tag(GossipMessage::CHAN_AND_ORG);
  block.mutable_data_msg()->mutable_payload()->set_seq_num(1);
  block.mutable_data_msg()->mutable_payload()->set_data(
      *net.ledgers.at("peer0.org1")->chain().block_bytes(1));
  auto sealed = std::make_shared<SignedGossip>();
  sealed->message = block;
  sealed->payload = block.SerializeAsString();
  const Node& peer0 = net.node("peer0.org1");
  peer2.on_message({peer0.id(), peer0.settings().self.identity, peer0.settings().self.endpoint},
                   sealed);
  net.scheduler.run_for(milliseconds(100));
  EXPECT_EQ(height("peer2.org1"), 15u) << "committed all the same, with 2..14 behind it";
  EXPECT_EQ(forwarded_by_peer2, 0);
  EXPECT_EQ(peer2.blocks("mychannel")->counters().not_forwarded_behind_store, 1u);
}

class NodeNoPullTest : public NodeBlocksTest {
 protected:
  void SetUp() override {
    net.tune = [](NodeSettings& s) {
      s.blocks.tail_push_delay = runtime::Duration::zero();
      s.blocks.pull.pull_interval = seconds(60);
    };
    NodeBlocksTest::SetUp();
  }
};

TEST_F(NodeNoPullTest, APushTooFarAheadToBufferStartsTheGapFetchBatchAfterBatch) {
  // peer2.org1 misses the pushes of blocks 1..24; 25 and on are blockBufferSize (20)
  // or more beyond its height of 1, too far ahead to buffer, yet they show the gap.
  lose_pushes_to("peer2.org1", [](std::uint64_t n) { return n >= 1 && n <= 24; });
  hand_over_blocks(28, milliseconds(20));
  net.scheduler.run_for(milliseconds(100));  // far less than a state check
  EXPECT_EQ(height("peer2.org1"), 28u);
  const ChannelBlocks& blocks = *net.node("peer2.org1").blocks("mychannel");
  EXPECT_GE(blocks.counters().committed_by_state_transfer, 24u);
  EXPECT_GE(blocks.state_counters().gap_requests, 3u) << "[1, 10], [11, 20], [21, ...]";
}

TEST_F(NodeBlocksTest, APeerThatLostEveryPushCatchesUpByPullOrStateTransfer) {
  net.lose = [](const std::string&, const std::string& to, const SignedGossip& m) {
    return to == "peer2.org1" && m.message.has_data_msg();
  };
  orderer_delivers("peer0.org1", 0, 5);
  net.scheduler.run_for(seconds(15));  // pull rounds and a state-transfer check
  EXPECT_EQ(height("peer2.org1"), 5u);
  const BlockCounters& k = net.node("peer2.org1").blocks("mychannel")->counters();
  EXPECT_EQ(k.committed_by_push, 0u);
  EXPECT_EQ(k.committed_by_pull + k.committed_by_state_transfer, 5u);
}

TEST_F(NodeBlocksTest, AHeightAdvertisedInStateInfoDrivesStateTransfer) {
  // Ten blocks are more than pull keeps (maxBlockCountToStore); a peer that was away
  // for all of them comes back by state transfer.
  net.lose = [](const std::string&, const std::string& to, const SignedGossip& m) {
    return to == "peer2.org1" && (m.message.has_data_msg() || m.message.has_data_update());
  };
  orderer_delivers("peer0.org1", 0, 25);
  net.scheduler.run_for(seconds(25));
  EXPECT_EQ(height("peer2.org1"), 25u);
  EXPECT_EQ(net.node("peer2.org1").blocks("mychannel")->counters().committed_by_state_transfer,
            25u);
}

TEST_F(NodeBlocksTest, ABlockFailingVerificationIsDroppedNeitherStoredNorForwarded) {
  GossipMessage m;
  m.set_channel("mychannel");
  m.set_tag(GossipMessage::CHAN_AND_ORG);
  m.mutable_data_msg()->mutable_payload()->set_seq_num(0);
  m.mutable_data_msg()->mutable_payload()->set_data(test_block(0, "", /*signed=*/false));
  std::uint64_t forwarded = 0;
  net.lose = [&](const std::string& from, const std::string&, const SignedGossip& msg) {
    if (from == "peer1.org1" && msg.message.has_data_msg()) ++forwarded;
    return false;
  };
  inject("peer0.org1", "peer1.org1", m, /*sign=*/false);
  net.scheduler.run_for(seconds(1));
  EXPECT_EQ(dropped("peer1.org1", "block_refused"), 1u);
  EXPECT_EQ(height("peer1.org1"), 0u);
  EXPECT_EQ(forwarded, 0u);
}

TEST_F(NodeBlocksTest, ABlockFromAPeerOfAnOrgOutsideTheChannelIsDropped) {
  GossipMessage m;
  m.set_channel("mychannel");
  m.set_tag(GossipMessage::CHAN_AND_ORG);
  m.mutable_data_msg()->mutable_payload()->set_seq_num(0);
  m.mutable_data_msg()->mutable_payload()->set_data(test_block(0, ""));
  // mychannel's members are Org1MSP and Org2MSP; Org3MSP is not one of them.
  net.add("intruder.org3", "Org3MSP", "peer0.org1", {});
  inject("intruder.org3", "peer1.org1", m, /*sign=*/false);
  EXPECT_EQ(dropped("peer1.org1", "sender_not_in_channel"), 1u);
  EXPECT_EQ(height("peer1.org1"), 0u);
}

// Bad block input (issue 10 §5) at an observed peer of org1 that keeps mychannel's
// blocks: dropped with a reason, counted, reported once per (peer, reason) and
// interval, never committed. Pull and state-transfer input: tests/state.
class NodeBlockRejectionTest : public NodeRejectionTest {
 protected:
  void SetUp() override {
    net.with_ledgers = true;
    build_two_orgs();
    NodeSettings s = net.node("peer1.org1").settings();
    s.rejection_report_interval = seconds(60);
    node_ = std::make_unique<Node>(s, net.scheduler, transport_, net.crypto, &observer);
    node_->set_ledger_provider(&ledgers_);
    node_->start();
  }
  std::shared_ptr<SignedGossip> block_message(std::uint64_t seq_num, std::string data,
                                              const std::string& channel = "mychannel") {
    auto sealed = std::make_shared<SignedGossip>();
    sealed->message.set_channel(channel);
    sealed->message.set_tag(GossipMessage::CHAN_AND_ORG);
    sealed->message.mutable_data_msg()->mutable_payload()->set_seq_num(seq_num);
    sealed->message.mutable_data_msg()->mutable_payload()->set_data(std::move(data));
    sealed->payload = sealed->message.SerializeAsString();
    return sealed;
  }
  std::uint64_t dropped_here(const std::string& reason) {
    const auto& d = node_->counters().dropped;
    const auto it = d.find(reason);
    return it == d.end() ? 0 : it->second;
  }
  TestLedgers ledgers_;
};

TEST_F(NodeBlockRejectionTest, BadBlocksAreDroppedCountedReportedOnceAndNeverCommitted) {
  Node& n = *node_;
  // Without the orderer's signature, a seq_num that is not the block's number, bytes that
  // are no block at all: all refused by verification, 100 times over.
  for (int i = 0; i < 100; ++i) {
    n.on_message(from_peer0(), block_message(0, test_block(0, "", /*signed_by_orderer=*/false)));
    n.on_message(from_peer0(), block_message(0, test_block(1, "")));
    n.on_message(from_peer0(), block_message(0, "not a block"));
  }
  EXPECT_EQ(dropped_here("block_refused"), 300u);
  ASSERT_EQ(observer.rejections.size(), 1u) << "one report per (peer, reason) per interval";
  EXPECT_EQ(observer.rejections.front().reason, gossip::DropReason::kBlockRefused);
  // A channel this peer has not joined, or joined without a ledger: dropped, counted.
  n.on_message(from_peer0(), block_message(0, test_block(0, ""), "nochannel"));
  n.on_message(from_peer0(), block_message(0, test_block(0, ""), "other"));
  EXPECT_EQ(dropped_here("channel_not_joined"), 2u);
  // A block far beyond the commit buffer (blockBufferSize 20) is not kept.
  n.on_message(from_peer0(), block_message(500, test_block(500, "")));
  EXPECT_EQ(dropped_here("block_too_far_ahead"), 1u);
  EXPECT_EQ(n.blocks("mychannel")->buffered(), 0u);
  net.scheduler.run_for(seconds(1));
  EXPECT_EQ(ledgers_.chain().height(), 0u);
  EXPECT_EQ(n.blocks("mychannel")->counters().committed_by_push, 0u);
  // The genuine block 0 still goes in: the bad input changed nothing.
  n.on_message(from_peer0(), block_message(0, test_block(0, "")));
  EXPECT_EQ(ledgers_.chain().height(), 0u) << "committed at the end of the loop's turn";
  net.scheduler.run_for(milliseconds(1));
  EXPECT_EQ(ledgers_.chain().height(), 1u);
}

TEST_F(NodeBlocksTest, BadPullAndStateInputIsDroppedAndCounted) {
  GossipMessage block;
  block.set_channel("mychannel");
  block.set_tag(GossipMessage::CHAN_AND_ORG);
  block.mutable_data_msg()->mutable_payload()->set_seq_num(0);
  block.mutable_data_msg()->mutable_payload()->set_data(test_block(0, ""));
  auto sealed_block = std::make_shared<SignedGossip>();
  sealed_block->payload = block.SerializeAsString();
  sealed_block->message = block;

  GossipMessage update;
  update.set_channel("mychannel");
  update.set_tag(GossipMessage::CHAN_AND_ORG);
  update.mutable_data_update()->set_nonce(77);  // nobody asked
  update.mutable_data_update()->set_msg_type(::gossip::BLOCK_MSG);
  *update.mutable_data_update()->add_data() = gossip::to_envelope(*sealed_block);
  inject("peer0.org1", "peer1.org1", update, /*sign=*/false);
  EXPECT_EQ(dropped("peer1.org1", "pull_unknown_nonce"), 1u);

  GossipMessage request;
  request.set_channel("mychannel");
  request.set_tag(GossipMessage::CHAN_OR_ORG);
  request.set_nonce(5);
  request.mutable_state_request()->set_start_seq_num(9);
  request.mutable_state_request()->set_end_seq_num(3);  // reversed
  inject("peer0.org1", "peer1.org1", request, /*sign=*/false);
  request.mutable_state_request()->set_start_seq_num(0);
  request.mutable_state_request()->set_end_seq_num(1'000'000);  // beyond state.batchSize
  inject("peer0.org1", "peer1.org1", request, /*sign=*/false);
  EXPECT_EQ(dropped("peer1.org1", "state_bad_range"), 2u);

  GossipMessage response;
  response.set_channel("mychannel");
  response.set_tag(GossipMessage::CHAN_OR_ORG);
  response.set_nonce(6);  // no request of peer1's
  *response.mutable_state_response()->add_payloads() = block.data_msg().payload();
  inject("peer0.org1", "peer1.org1", response, /*sign=*/false);
  EXPECT_EQ(dropped("peer1.org1", "state_unrequested"), 1u);
  net.scheduler.run_for(seconds(1));
  EXPECT_EQ(height("peer1.org1"), 0u) << "nothing of it was committed";
}

TEST_F(NodeBlocksTest, StateInfoAdvertisesTheLedgerHeightOnceItChanges) {
  std::uint64_t advertised = 0;
  net.lose = [&](const std::string& from, const std::string&, const SignedGossip& m) {
    if (from == "peer0.org1" && m.message.has_state_info())
      advertised = m.message.state_info().properties().ledger_height();
    return false;
  };
  orderer_delivers("peer0.org1", 0, 3);
  net.scheduler.run_for(seconds(2));  // the next publishStateInfoInterval (400 ms here)
  EXPECT_EQ(advertised, 3u);
}

}  // namespace
}  // namespace fabnet::node
