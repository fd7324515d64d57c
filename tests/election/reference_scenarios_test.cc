// The ten reference scenarios of election.md §7, with Fabric's test timings
// (grace 500 ms, sample 100 ms, LAT 500 ms, LED 500 ms), in virtual time.

#include <algorithm>

#include "election_harness.h"

namespace fabnet::testing {
namespace {

using ReferenceScenario = ElectionTest;

// 1: p9..p0 start together -> exactly one leader, p0, whose callback said true.
TEST_F(ReferenceScenario, S1_AllStartTogetherLowestIdLeads) {
  add_and_start(peer_names(9, 0));
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p0"});
  EXPECT_EQ(cluster_.callbacks("p0"), std::vector<bool>{true});
  for (const PeerId& id : peer_names(1, 9)) EXPECT_TRUE(cluster_.callbacks(id).empty()) << id;
}

// 2: p3, p2, p1, p0 start one by one, SGP + LAT/2 apart -> p3 (first) leads.
TEST_F(ReferenceScenario, S2_StaggeredStartFirstPeerKeepsLeadership) {
  for (const PeerId& id : peer_names(3, 0)) {
    cluster_.add_peer(id);
    cluster_.start(id);
    run_for(sgp() + lat() / 2);
  }
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p3"});
  EXPECT_EQ(cluster_.callbacks("p3"), std::vector<bool>{true});
  for (const PeerId& id : peer_names(0, 2)) EXPECT_TRUE(cluster_.callbacks(id).empty()) << id;
}

// 3: four peers elect a leader, then all stop -> nothing is sent after stop.
TEST_F(ReferenceScenario, S3_NothingIsSentAfterStop) {
  add_and_start(peer_names(0, 3));
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  cluster_.stop_all();
  run_for(milliseconds(5));  // let messages already in flight land
  const auto sent = cluster_.messages_sent();
  run_for(milliseconds(10000));
  EXPECT_EQ(cluster_.messages_sent(), sent);
  EXPECT_EQ(scheduler_.pending(), 0u) << "a stopped instance left a timer armed";
  for (const PeerId& id : peer_names(0, 3)) EXPECT_TRUE(cluster_.election(id).stopped());
}

// 4: {p0..p3} and {p4..p7} elect separately, then see each other -> p0 alone; p4 told false.
TEST_F(ReferenceScenario, S4_TwoGroupsMergeToTheLowestLeader) {
  const auto all = peer_names(0, 7);
  for (const PeerId& id : all) cluster_.add_peer(id);
  cluster_.partition({peer_names(0, 3), peer_names(4, 7)});
  for (const PeerId& id : all) cluster_.start(id);
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), (std::vector<PeerId>{"p0", "p4"}));
  cluster_.heal();
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p0"});
  EXPECT_EQ(cluster_.callbacks("p4"), (std::vector<bool>{true, false}));
  EXPECT_EQ(cluster_.callbacks("p0"), std::vector<bool>{true});
}

// 5: p5, p4, p3, p2 start one by one, then p5 stops -> p2 takes over, alone.
TEST_F(ReferenceScenario, S5_LeaderStopsLowestSurvivorTakesOver) {
  for (const PeerId& id : peer_names(5, 2)) {
    cluster_.add_peer(id);
    cluster_.start(id);
    run_for(sgp() + lat() / 2);
  }
  ASSERT_EQ(leaders(), std::vector<PeerId>{"p5"});
  cluster_.stop("p5");
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p2"});
  for (const PeerId& id : peer_names(3, 4)) EXPECT_TRUE(cluster_.callbacks(id).empty()) << id;
}

// 6: p0..p5 elect p0; p0 yields twice -> one false callback; a new leader that
// is not p0; p0 does not take it back within 2 LAT.
TEST_F(ReferenceScenario, S6_YieldHandsLeadershipToAnotherPeer) {
  add_and_start(peer_names(0, 5));
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  cluster_.yield("p0");
  cluster_.yield("p0");
  EXPECT_EQ(cluster_.callbacks("p0"), (std::vector<bool>{true, false}));
  const PeerId next = run_until_single_leader(milliseconds(5000));
  EXPECT_FALSE(next.empty());
  EXPECT_NE(next, "p0");
  const TimePoint until = scheduler_.now() + 2 * lat();
  while (scheduler_.now() < until && scheduler_.step()) {
    ASSERT_FALSE(cluster_.election("p0").is_leader()) << "p0 took leadership back";
  }
  EXPECT_EQ(leaders(), std::vector<PeerId>{next});
}

// 7: a single p0 yields -> not leader at once; leader again later.
TEST_F(ReferenceScenario, S7_LonePeerLeadsAgainAfterYielding) {
  add_and_start({"p0"});
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  cluster_.yield("p0");
  EXPECT_FALSE(cluster_.election("p0").is_leader());
  EXPECT_TRUE(leaders().empty());
  EXPECT_EQ(run_until_single_leader(6 * lat() + 4 * lat()), "p0");
  EXPECT_EQ(cluster_.callbacks("p0"), (std::vector<bool>{true, false, true}));
}

// 8: p0, p1: p0 yields -> p1 leads; then p1 yields -> p0 leads.
TEST_F(ReferenceScenario, S8_TwoPeersYieldInTurn) {
  add_and_start({"p0", "p1"});
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  cluster_.yield("p0");
  EXPECT_EQ(run_until_single_leader(milliseconds(5000)), "p1");
  cluster_.yield("p1");
  EXPECT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  EXPECT_EQ(cluster_.callbacks("p0"), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(cluster_.callbacks("p1"), (std::vector<bool>{true, false}));
}

// 9: p0..p5 elect p0, then everyone is cut off from everyone -> six leaders;
// after healing only p0.
TEST_F(ReferenceScenario, S9_FullPartitionThenHeal) {
  const auto all = peer_names(0, 5);
  add_and_start(all);
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  std::vector<std::vector<PeerId>> islands;
  for (const PeerId& id : all) islands.push_back({id});
  cluster_.partition(islands);
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), all);
  cluster_.heal();
  run_for(milliseconds(5000));
  EXPECT_EQ(leaders(), std::vector<PeerId>{"p0"});
  for (const PeerId& id : peer_names(1, 5))
    EXPECT_EQ(cluster_.callbacks(id), (std::vector<bool>{true, false})) << id;
}

// 10: a single peer's metric: 1 while leader, 0 after yield, 1 again later.
TEST_F(ReferenceScenario, S10_LeaderMetricFollowsLeadership) {
  add_and_start({"p0"});
  ASSERT_EQ(run_until_single_leader(milliseconds(5000)), "p0");
  run_for(lat());
  const auto& reports = cluster_.metric_reports("p0");
  ASSERT_FALSE(reports.empty());
  EXPECT_TRUE(reports.back());
  const std::size_t before_yield = reports.size();
  cluster_.yield("p0");
  run_for(lat());
  ASSERT_GT(reports.size(), before_yield);
  EXPECT_FALSE(reports.back());
  EXPECT_EQ(run_until_single_leader(10 * lat()), "p0");
  run_for(milliseconds(1));
  EXPECT_TRUE(reports.back());
  // The whole sequence has the shape 1+ 0+ 1+: nothing but 1 before the yield,
  // then only 0 until the comeback, then only 1.
  EXPECT_TRUE(
      std::all_of(reports.begin(), reports.begin() + before_yield, [](bool b) { return b; }));
  const std::vector<bool> after(reports.begin() + before_yield, reports.end());
  const auto first_one = std::find(after.begin(), after.end(), true);
  EXPECT_GT(first_one - after.begin(), 0) << "no 0 reported after the yield";
  EXPECT_TRUE(std::none_of(after.begin(), first_one, [](bool b) { return b; }));
  EXPECT_TRUE(std::all_of(first_one, after.end(), [](bool b) { return b; }));
}

}  // namespace
}  // namespace fabnet::testing
