// The live view as a pure function: snapshots in, events and lines out.

#include <gtest/gtest.h>

#include <string>

#include "up/terminal.h"
#include "up/view.h"

namespace fabnet::up {
namespace {

using Health = PeerSample::Health;

// One channel "c", one org "Org1" of three peers p0..p2 with pki ids k0..k2.
struct Net {
  Snapshot s;
  Net() {
    s.channels = {"c"};
    s.orgs = {"Org1"};
    s.channel_orgs["c"] = {"Org1"};
    s.orderer_up = true;
    s.orderer_height["c"] = 10;
    for (int i = 0; i < 3; ++i) {
      PeerSample p;
      p.name = "peer" + std::to_string(i) + ".org1";
      p.org = "Org1";
      p.channels = {"c"};
      p.health = Health::kUp;
      p.pki_id = "k" + std::to_string(i);
      p.on["c"] = {10, false, ""};
      s.peers.push_back(p);
    }
  }
  Net& at(double t) {
    s.t = t;
    return *this;
  }
  // Peer `leader` leads and everyone up believes it (-1: nobody).
  Net& leader(int leader) {
    for (auto& p : s.peers) {
      p.on["c"].is_leader = false;
      p.on["c"].believed_leader = leader < 0 ? "" : "k" + std::to_string(leader);
    }
    if (leader >= 0) s.peers[leader].on["c"].is_leader = true;
    return *this;
  }
  Net& health(int i, Health h) {
    s.peers[i].health = h;
    if (h != Health::kUp) s.peers[i].on.clear();
    return *this;
  }
  Net& height(int i, long long h) {
    s.peers[i].on["c"].height = h;
    return *this;
  }
};

std::string texts(const std::vector<Event>& events) {
  std::string out;
  for (const auto& e : events) out += e.text + "\n";
  return out;
}

TEST(UpView, AGroupLeaderNeedsOneLeaderThatEveryUpMemberNames) {
  Net n;
  EXPECT_FALSE(group_leader(n.s, "c", "Org1").agreed);
  n.leader(1);
  EXPECT_EQ(group_leader(n.s, "c", "Org1").agreed_leader(), "peer1.org1");
  n.s.peers[2].on["c"].believed_leader = "k0";
  EXPECT_FALSE(group_leader(n.s, "c", "Org1").agreed);
  n.s.peers[0].on["c"].is_leader = true;
  EXPECT_EQ(group_leader(n.s, "c", "Org1").leaders.size(), 2u);
}

TEST(UpView, TheTrackerReportsAFailoverFromTheMomentTheLeaderWasLost) {
  Tracker tracker;
  Net n;
  EXPECT_TRUE(tracker.observe(n.at(1).s).empty());
  EXPECT_FALSE(tracker.all_settled());
  const auto first = tracker.observe((n.at(2).leader(0)).s);
  EXPECT_NE(texts(first).find("c/Org1: leader peer0.org1 (first, 2.0s after start)"),
            std::string::npos)
      << texts(first);
  EXPECT_TRUE(tracker.all_settled());

  const auto lost = tracker.observe((n.at(10).health(0, Health::kDown).leader(-1)).s);
  EXPECT_NE(texts(lost).find("peer0.org1 is down"), std::string::npos) << texts(lost);
  EXPECT_NE(texts(lost).find("c/Org1: no leader"), std::string::npos) << texts(lost);
  EXPECT_FALSE(tracker.all_settled());

  const auto elected = tracker.observe((n.at(26.5).leader(2)).s);
  EXPECT_NE(texts(elected).find("leader peer2.org1 (was peer0.org1; failover 16.5s)"),
            std::string::npos)
      << texts(elected);
  ASSERT_EQ(tracker.failovers().size(), 1u);
  EXPECT_DOUBLE_EQ(tracker.failovers()[0].seconds(), 16.5);
  const auto& history = tracker.leaders().at({"c", "Org1"});
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].leader, "");
  EXPECT_EQ(history[2].leader, "peer2.org1");

  const auto back = tracker.observe((n.at(30).health(0, Health::kUp).leader(2)).s);
  EXPECT_NE(texts(back).find("peer0.org1 is back"), std::string::npos) << texts(back);
}

TEST(UpView, ALeaderIsKeptWhileARestartedMemberHasNotNamedItYet) {
  Tracker tracker;
  Net n;
  tracker.observe(n.at(1).leader(0).s);
  n.s.peers[2].on["c"].believed_leader = "";  // just restarted: no leader known yet
  EXPECT_TRUE(tracker.observe(n.at(2).s).empty());
  EXPECT_EQ(tracker.leaders().at({"c", "Org1"}).size(), 1u);
  EXPECT_TRUE(tracker.all_settled());
}

TEST(UpView, TheTrackerTimesACatchUpAndKeepsTheWorstLag) {
  Tracker tracker(2);
  Net n;
  n.leader(0);
  tracker.observe((n.at(1)).s);
  n.s.orderer_height["c"] = 20;
  tracker.observe((n.at(2).height(0, 20).height(1, 20).height(2, 12)).s);
  tracker.observe((n.at(3).height(2, 15)).s);
  const auto caught = tracker.observe((n.at(5.5).height(2, 20)).s);
  EXPECT_NE(
      texts(caught).find("peer2.org1 caught up on c: 8 blocks behind at worst, level after 3.5s"),
      std::string::npos)
      << texts(caught);
  EXPECT_EQ(tracker.worst_lag(), 8);
}

TEST(UpView, RenderShowsLeadersHeightsLagAndAlertsInRed) {
  Tracker tracker;
  Net n;
  n.s.orderer_height["c"] = 12;
  n.leader(1).health(2, Health::kPaused);
  tracker.observe((n.at(4)).s);
  std::deque<Event> recent = {{3.0, Event::Kind::kPeerPaused, "peer2.org1 is paused"}};
  const auto lines = render({"/tmp/net", 10}, n.s, tracker, recent);
  std::string all;
  for (const auto& l : lines) all += plain_text(l) + "\n";
  EXPECT_NE(all.find("orderer height 12"), std::string::npos) << all;
  EXPECT_NE(all.find("Org1   peer1.org1"), std::string::npos) << all;
  EXPECT_NE(all.find("peer0 10 (-2)"), std::string::npos) << all;
  EXPECT_NE(all.find("peer2 paused"), std::string::npos) << all;
  EXPECT_NE(all.find("[    3.0s] peer2.org1 is paused"), std::string::npos) << all;

  n.leader(-1);
  const auto none = render({"/tmp/net", 10}, n.s, tracker, {});
  bool red_none = false;
  for (const auto& l : none)
    for (const auto& span : l)
      if (span.text.rfind("none", 0) == 0 && span.style == Style::kAlert) red_none = true;
  EXPECT_TRUE(red_none);
  n.s.peers[0].on["c"].is_leader = true;
  n.s.peers[1].on["c"].is_leader = true;
  std::string two;
  for (const auto& l : render({"/tmp/net", 10}, n.s, tracker, {})) two += styled(l, true) + "\n";
  EXPECT_NE(two.find("\x1b[1;31m2 leaders"), std::string::npos) << two;
}

}  // namespace
}  // namespace fabnet::up
