// Single-instance rules of election.md §4, driven message by message through a
// fake adapter, plus ID ordering and static modes.

#include <gtest/gtest.h>

#include <unordered_set>

#include "election/invariants.h"
#include "election/leader_election.h"
#include "election_harness.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::testing {
namespace {

using election::id_less;
using election::LeaderElection;
using election::LeadershipMessage;
using election::Phase;

class FakeAdapter final : public election::ElectionAdapter {
 public:
  explicit FakeAdapter(PeerId self) : factory(std::move(self), 42) {}
  void gossip(const LeadershipMessage& m) override { sent.push_back(m); }
  LeadershipMessage create_message(bool d) override { return factory.make(d); }
  bool is_in_view(const PeerId& p) const override { return view.contains(p); }
  std::size_t view_size() const override { return view.size(); }
  void report_leader_metric(bool l) override { metrics.push_back(l); }

  election::MessageFactory factory;
  std::unordered_set<PeerId> view;
  std::vector<LeadershipMessage> sent;
  std::vector<bool> metrics;
};

class ElectionRules : public ::testing::Test {
 protected:
  ElectionRules() : adapter_("p5"), election_(make("p5", LeaderMode::kDynamic)) {
    scheduler_.set_after_event_hook([this] { check(); });
  }
  std::unique_ptr<LeaderElection> make(const PeerId& id, LeaderMode mode) {
    return std::make_unique<LeaderElection>(id, ElectionTimings::fabric_test_timings(), mode,
                                            scheduler_, adapter_,
                                            [this](bool b) { callbacks_.push_back(b); });
  }
  void check() {
    for (auto& v : election::check_invariants(*election_)) ADD_FAILURE() << v;
  }
  LeadershipMessage from(const PeerId& id, bool declaration, std::uint64_t seq = 1) {
    return {id, {7, seq}, declaration};
  }

  runtime::VirtualScheduler scheduler_;
  FakeAdapter adapter_;
  std::vector<bool> callbacks_;
  std::unique_ptr<LeaderElection> election_;
};

TEST(IdOrder, IsBytewiseWithPrefixesSmallerAndZeroAnOrdinaryByte) {
  using namespace std::string_literals;
  EXPECT_TRUE(id_less("p0", "p1"));
  EXPECT_TRUE(id_less("p1", "p10"));  // proper prefix is smaller
  EXPECT_FALSE(id_less("p10", "p1"));
  EXPECT_TRUE(id_less("", "\x00"s));           // empty before everything
  EXPECT_TRUE(id_less("\x00"s, "\x00\x00"s));  // prefix made of zeros
  EXPECT_TRUE(id_less("a\x00"s, "a\x01"s));
  EXPECT_TRUE(id_less("a"s, "a\x00"s));
  EXPECT_TRUE(id_less("\x7f"s, "\x80"s));  // bytes compare unsigned
  EXPECT_TRUE(id_less("\x80"s, "\xff"s));
  EXPECT_FALSE(id_less("p1", "p1"));
}

TEST(Freshness, FollowsFabricsPeerTimeRule) {
  election::FreshnessFilter f;
  EXPECT_TRUE(f.admit("a", {10, 5}));
  EXPECT_FALSE(f.admit("a", {10, 5}));  // duplicate
  EXPECT_FALSE(f.admit("a", {10, 4}));  // replay of an older one
  EXPECT_TRUE(f.admit("a", {10, 6}));
  EXPECT_TRUE(f.admit("a", {11, 1}));    // restarted sender: higher inc_num wins
  EXPECT_FALSE(f.admit("a", {10, 99}));  // old incarnation stays old
  EXPECT_TRUE(f.admit("b", {1, 1}));     // senders never interact
}

TEST(MessageFactory, FirstMessageCarriesSeqOneAndIncNumIsFixed) {
  election::MessageFactory f("me", 1234);
  const auto a = f.make(false);
  const auto b = f.make(true);
  EXPECT_EQ(a.timestamp, (election::PeerTime{1234, 1}));
  EXPECT_EQ(b.timestamp, (election::PeerTime{1234, 2}));
  EXPECT_EQ(a.pki_id, "me");
  EXPECT_FALSE(a.is_declaration);
  EXPECT_TRUE(b.is_declaration);
}

TEST_F(ElectionRules, MessagesFromOutsideTheViewAreIgnored) {
  adapter_.view = {"p7"};
  election_->start();
  election_->handle_message(from("p1", /*declaration=*/true));  // p1 not in view
  EXPECT_FALSE(election_->leader_exists());
  election_->handle_message(from("p2", false));
  EXPECT_EQ(election_->proposals_held(), 0u);
  election_->handle_message(from("p7", false));
  EXPECT_EQ(election_->proposals_held(), 1u);
  election_->handle_message(from("p7", true, 2));
  EXPECT_TRUE(election_->leader_exists());
}

TEST_F(ElectionRules, LonePeerLeadsAfterStartup) {
  election_->start();
  scheduler_.run_for(milliseconds(100));  // first sample: size 0 == 0, start-up over
  EXPECT_EQ(election_->phase(), Phase::kProposing);
  ASSERT_EQ(adapter_.sent.size(), 1u);
  EXPECT_FALSE(adapter_.sent[0].is_declaration);
  scheduler_.run_for(milliseconds(500));  // LED passes
  EXPECT_TRUE(election_->is_leader());
  EXPECT_EQ(callbacks_, std::vector<bool>{true});
  ASSERT_EQ(adapter_.sent.size(), 2u);
  EXPECT_TRUE(adapter_.sent[1].is_declaration);
  EXPECT_EQ(adapter_.sent[1].timestamp.seq_num, 2u);
}

TEST_F(ElectionRules, StartupWaitsWhileTheViewGrowsUntilGracePeriod) {
  election_->start();
  // The view grows by one at every sample: never stable, so the grace period ends start-up.
  for (int i = 0; i < 4; ++i) {
    adapter_.view.insert("q" + std::to_string(i));
    scheduler_.run_for(milliseconds(100));
    EXPECT_EQ(election_->phase(), Phase::kStartup) << i;
  }
  adapter_.view.insert("q9");
  scheduler_.run_for(milliseconds(100));  // t = 500 ms = grace period
  EXPECT_EQ(election_->phase(), Phase::kProposing);
}

TEST_F(ElectionRules, DeclarationDuringStartupEndsItAtTheNextSampleAsFollower) {
  adapter_.view = {"p1"};
  election_->start();
  adapter_.view.insert("p2");  // view changes, so the size alone would keep us waiting
  election_->handle_message(from("p1", true));
  scheduler_.run_for(milliseconds(100));
  EXPECT_EQ(election_->phase(), Phase::kFollowing);
  EXPECT_TRUE(adapter_.sent.empty());
}

TEST_F(ElectionRules, HigherProposalDoesNotStopUsFromLeading) {
  adapter_.view = {"p1", "p9"};
  election_->start();
  scheduler_.run_for(milliseconds(100));
  ASSERT_EQ(election_->phase(), Phase::kProposing);
  election_->handle_message(from("p9", false));
  scheduler_.run_for(milliseconds(500));
  EXPECT_TRUE(election_->is_leader());
}

TEST_F(ElectionRules, LowerProposalMeansWeFollow) {
  adapter_.view = {"p1", "p9"};
  election_->start();
  scheduler_.run_for(milliseconds(100));
  election_->handle_message(from("p1", false));
  scheduler_.run_for(milliseconds(500));
  EXPECT_FALSE(election_->is_leader());
  EXPECT_EQ(election_->phase(), Phase::kFollowing);
  EXPECT_EQ(election_->proposals_held(), 0u) << "the follower wait clears proposals";
}

TEST_F(ElectionRules, DeclarationInterruptsTheProposalWait) {
  adapter_.view = {"p9"};
  election_->start();
  scheduler_.run_for(milliseconds(100));
  ASSERT_EQ(election_->phase(), Phase::kProposing);
  election_->handle_message(from("p9", true));  // even a higher ID's declaration
  scheduler_.run_for(milliseconds(0));
  EXPECT_EQ(election_->phase(), Phase::kFollowing);  // gave up at once, not after LED
  EXPECT_FALSE(election_->is_leader());
}

TEST_F(ElectionRules, FollowerWaitIsNotInterruptible) {
  adapter_.view = {"p1"};
  election_->start();
  election_->handle_message(from("p1", true));
  scheduler_.run_for(milliseconds(100));
  ASSERT_EQ(election_->phase(), Phase::kFollowing);
  const TimePoint wait_began = scheduler_.now();
  election_->handle_message(from("p1", true, 2));
  // Still following, and the next loop iteration comes exactly LAT after the wait began.
  scheduler_.run_until(wait_began + milliseconds(499));
  EXPECT_EQ(election_->phase(), Phase::kFollowing);
  EXPECT_TRUE(election_->leader_exists());
  scheduler_.run_until(wait_began + milliseconds(500));
  EXPECT_FALSE(election_->leader_exists()) << "new follower wait clears leader_exists";
  EXPECT_TRUE(adapter_.sent.empty());
}

TEST_F(ElectionRules, LeaderStepsDownOnlyForALowerDeclaration) {
  adapter_.view = {"p1", "p9"};
  election_->start();
  scheduler_.run_for(milliseconds(600));
  ASSERT_TRUE(election_->is_leader());
  election_->handle_message(from("p9", true));
  EXPECT_TRUE(election_->is_leader());
  election_->handle_message(from("p1", true));
  EXPECT_FALSE(election_->is_leader());
  EXPECT_EQ(callbacks_, (std::vector<bool>{true, false}));
}

TEST_F(ElectionRules, LeaderRedeclaresEveryHalfThresholdAndAtOnceAfterAnotherDeclaration) {
  adapter_.view = {"p9"};
  election_->start();
  scheduler_.run_for(milliseconds(600));
  ASSERT_TRUE(election_->is_leader());
  const std::size_t sent = adapter_.sent.size();
  scheduler_.run_for(milliseconds(250));
  EXPECT_EQ(adapter_.sent.size(), sent + 1);
  election_->handle_message(from("p9", true));
  scheduler_.run_for(milliseconds(0));
  EXPECT_EQ(adapter_.sent.size(), sent + 2);
  EXPECT_TRUE(adapter_.sent.back().is_declaration);
}

TEST_F(ElectionRules, YieldStepsDownOnceAndKeepsQuietForSixThresholds) {
  election_->start();
  scheduler_.run_for(milliseconds(600));
  ASSERT_TRUE(election_->is_leader());
  election_->yield();
  election_->yield();
  EXPECT_EQ(callbacks_, (std::vector<bool>{true, false}));
  EXPECT_TRUE(election_->yielding());
  EXPECT_FALSE(election_->leader_exists());
  scheduler_.run_for(milliseconds(300));  // the leader's LAT/2 wait ends
  const std::size_t sent = adapter_.sent.size();
  scheduler_.run_for(milliseconds(2600));  // until just before 6 x LAT from the yield
  EXPECT_EQ(adapter_.sent.size(), sent) << "a yielding peer proposed";
  EXPECT_TRUE(election_->yielding());
  scheduler_.run_for(milliseconds(1500));
  EXPECT_FALSE(election_->yielding());
  EXPECT_TRUE(election_->is_leader());
}

TEST_F(ElectionRules, YieldIsANoOpForFollowers) {
  adapter_.view = {"p1"};
  election_->start();
  election_->yield();
  EXPECT_FALSE(election_->yielding());
  EXPECT_TRUE(callbacks_.empty());
}

TEST_F(ElectionRules, StopIsIdempotentAndSilences) {
  election_->start();
  scheduler_.run_for(milliseconds(600));
  ASSERT_TRUE(election_->is_leader());
  election_->stop();
  election_->stop();
  const std::size_t sent = adapter_.sent.size();
  election_->handle_message(from("p1", true));
  election_->yield();
  scheduler_.run_for(milliseconds(10000));
  EXPECT_EQ(adapter_.sent.size(), sent);
  EXPECT_EQ(callbacks_, std::vector<bool>{true});
  EXPECT_FALSE(election_->any_timer_armed());
}

TEST_F(ElectionRules, StaticLeaderLeadsAtOnceAndSendsNothing) {
  election_ = make("p5", LeaderMode::kStaticLeader);
  adapter_.view = {"p1"};
  election_->start();
  EXPECT_TRUE(election_->is_leader());
  EXPECT_EQ(callbacks_, std::vector<bool>{true});
  election_->handle_message(from("p1", true));  // a lower declaration changes nothing
  election_->yield();                           // static leaders never yield
  scheduler_.run_for(milliseconds(10000));
  EXPECT_TRUE(election_->is_leader());
  EXPECT_TRUE(adapter_.sent.empty());
  EXPECT_EQ(adapter_.metrics, std::vector<bool>{true});
}

TEST_F(ElectionRules, StaticFollowerNeverLeadsAndSendsNothing) {
  election_ = make("p0", LeaderMode::kStaticFollower);
  election_->start();
  scheduler_.run_for(milliseconds(10000));
  EXPECT_FALSE(election_->is_leader());
  EXPECT_TRUE(callbacks_.empty());
  EXPECT_TRUE(adapter_.sent.empty());
  EXPECT_EQ(adapter_.metrics, std::vector<bool>{false});
}

// Cluster-level checks beyond the reference table.
using ElectionBehaviour = ElectionTest;

TEST_F(ElectionBehaviour, IdsWithZeroBytesAndPrefixesElectTheBytewiseLowest) {
  using namespace std::string_literals;
  const std::vector<PeerId> ids = {"a"s, "\x00\x01"s, "\x00\x00"s, "\x00"s, "a\x00"s, "\xff"s};
  add_and_start(ids);
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"\x00"s});
}

TEST_F(ElectionBehaviour, StaticLeaderWithStaticFollowers) {
  cluster_.add_peer("p3", LeaderMode::kStaticLeader);
  cluster_.add_peer("p0", LeaderMode::kStaticFollower);
  cluster_.add_peer("p1", LeaderMode::kStaticFollower);
  cluster_.start_all();
  run_for(milliseconds(10000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p3"});
  EXPECT_EQ(cluster_.messages_sent(), 0u);
}

TEST_F(ElectionBehaviour, DuplicatedAndReplayedMessagesAreDroppedByTheFilter) {
  add_and_start(peer_names(0, 2));
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  run_for(lat());
  // Plain gossip over a lossless network delivers each message once: nothing stale yet.
  ASSERT_EQ(cluster_.messages_dropped_stale(), 0u);
  const election::LeadershipMessage* newest = cluster_.last_gossiped("p0");
  ASSERT_NE(newest, nullptr);
  ASSERT_TRUE(newest->is_declaration);
  ASSERT_GT(newest->timestamp.seq_num, 1u);
  const election::LeadershipMessage duplicate = *newest;  // p1 has had it already
  election::LeadershipMessage replay = *newest;           // one p0 sent before it
  --replay.timestamp.seq_num;

  const election::LeaderElection& p1 = cluster_.election("p1");
  const auto phase = p1.phase();
  const auto proposals = p1.proposals_held();
  const auto callbacks = cluster_.callbacks("p1");
  cluster_.inject("p1", duplicate);
  cluster_.inject("p1", replay);
  run_for(milliseconds(2));  // the delivery delay, well inside one declaration interval
  EXPECT_EQ(cluster_.messages_dropped_stale(), 2u);
  EXPECT_EQ(p1.phase(), phase);
  EXPECT_EQ(p1.proposals_held(), proposals);
  EXPECT_EQ(cluster_.callbacks("p1"), callbacks);
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p0"});
}

TEST_F(ElectionBehaviour, RestartedPeerRejoinsAsFollowerWhenALeaderExists) {
  add_and_start(peer_names(0, 3));
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  cluster_.crash("p2");
  run_for(milliseconds(1000));
  cluster_.restart("p2");
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p0"});
  EXPECT_TRUE(cluster_.callbacks("p2").empty());
}

}  // namespace
}  // namespace fabnet::testing
