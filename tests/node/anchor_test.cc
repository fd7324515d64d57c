// Cross-org membership through anchor peers (protocol.md §4.5, §6, §7), and the
// bootstrap request over a live connection beside Fabric's connection store
// (§4.3), on nodes in virtual time over a stream-keeping transport.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "stream_network.h"

namespace fabnet::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::set<PeerId> as_set(const std::vector<PeerId>& ids) {
  return {ids.begin(), ids.end()};
}

std::set<PeerId> alive_of(const node::Node& node) {
  const auto ids = node.discovery().alive_members();
  return as_set(ids);
}

// Two orgs of three peers on "mychannel", each org bootstrapping from its first
// peer, which is also its anchor peer. The first two of each org have an external
// endpoint, the third has none. Org2's PKI-IDs sort below Org1's, so a foreign
// peer that leaked into Org1's election view would win Org1's election.
class AnchorTest : public ::testing::Test {
 protected:
  const std::vector<std::string> org1{"p0.org1", "p1.org1", "p2.org1"};
  const std::vector<std::string> org2{"a0.org2", "a1.org2", "a2.org2"};

  void build(bool with_anchors) {
    if (with_anchors)
      net.channels[0].anchor_peers = {{"Org1MSP", StreamNetwork::endpoint_of(org1[0])},
                                      {"Org2MSP", StreamNetwork::endpoint_of(org2[0])}};
    for (const auto* org : {&org1, &org2}) {
      for (std::size_t i = 0; i < org->size(); ++i) {
        StreamPeerOptions options;
        options.name = (*org)[i];
        options.org = org == &org1 ? "Org1MSP" : "Org2MSP";
        options.external_endpoint = i < 2;
        options.bootstrap = {(*org)[0]};
        net.add(options);
      }
    }
    net.start_all();
  }
  bool each_org_has_one_leader_all_agree_on() {
    for (const auto* org : {&org1, &org2}) {
      for (const std::string& name : *org) {
        const PeerId* believed = net.node(name).believed_leader("mychannel");
        if (!believed || *believed != (*org)[0]) return false;
        if (net.node(name).is_leader("mychannel") != (name == (*org)[0])) return false;
      }
    }
    return true;
  }

  StreamNetwork net;
};

TEST_F(AnchorTest, WithoutAnchorPeersEachOrgSeesOnlyItself) {
  build(/*with_anchors=*/false);
  net.scheduler.run_for(seconds(10));
  EXPECT_EQ(alive_of(net.node("p1.org1")), (std::set<PeerId>{"p0.org1", "p2.org1"}));
  EXPECT_EQ(net.node("p1.org1").channel_peers("mychannel"),
            (std::vector<PeerId>{"p0.org1", "p2.org1"}));
}

TEST_F(AnchorTest, OrgsLearnOfEachOthersReachablePeersThroughAnchorPeers) {
  build(/*with_anchors=*/true);
  net.scheduler.run_for(seconds(10));
  const std::set<PeerId> reachable{"p0.org1", "p1.org1", "a0.org2", "a1.org2"};
  for (const auto* org : {&org1, &org2}) {
    const std::string& hidden = (*org)[2];
    for (const std::string& name : *org) {
      SCOPED_TRACE(name);
      const node::Node& n = net.node(name);
      std::set<PeerId> expected;
      if (name == hidden) {
        // Invisible to other orgs, and told nothing about them.
        expected = as_set(*org);
      } else {
        expected = reachable;
        expected.insert(hidden);  // my org's hidden peer
      }
      expected.erase(name);
      EXPECT_EQ(alive_of(n), expected);
      // StateInfo of the other org's peers is known on the channel (PeersOfChannel).
      EXPECT_EQ(as_set(n.channel_peers("mychannel")), expected);
      // The election view stays within the org.
      std::set<PeerId> own_org = as_set(*org);
      own_org.erase(name);
      EXPECT_EQ(as_set(n.channel_org_view("mychannel")), own_org);
    }
  }
  // A hidden peer's StateInfo never left its org.
  for (const std::string& name : org1) {
    const auto peers = net.node(name).channel_peers("mychannel");
    EXPECT_EQ(std::count(peers.begin(), peers.end(), "a2.org2"), 0) << name;
  }
}

// A foreign peer, however low its PKI-ID, never takes part in an org's election:
// each org elects its own lowest peer, and all its peers agree.
TEST_F(AnchorTest, EachOrgElectsItsOwnLeaderWhileSeeingTheOtherOrg) {
  build(/*with_anchors=*/true);
  ASSERT_TRUE(net.scheduler.run_until_condition(
      [&] { return each_org_has_one_leader_all_agree_on(); }, net.scheduler.now() + seconds(20)));
  ASSERT_TRUE(net.node("p1.org1").discovery().is_alive("a0.org2"));
  // And it stays so.
  for (int i = 0; i < 20; ++i) {
    net.scheduler.run_for(milliseconds(500));
    ASSERT_TRUE(each_org_has_one_leader_all_agree_on()) << "at step " << i;
  }
  for (const std::string& name : org1) {
    const auto& dropped = net.node(name).counters().dropped;
    EXPECT_FALSE(dropped.contains("sender_other_org")) << name;  // never even sent across
  }
}

TEST_F(AnchorTest, APeerWithoutExternalEndpointSkipsForeignAnchorsButContactsItsOwn) {
  net.channels[0].anchor_peers = {{"Org1MSP", StreamNetwork::endpoint_of("p0.org1")},
                                  {"Org2MSP", StreamNetwork::endpoint_of("a0.org2")}};
  // p2 has no bootstrap peer: only its org's anchor peer can bring it in.
  StreamPeerOptions hidden{.name = "p2.org1", .external_endpoint = false};
  net.add(hidden);
  net.add({.name = "p0.org1"});
  net.add({.name = "a0.org2", .org = "Org2MSP"});
  net.start_all();
  net.scheduler.run_for(seconds(10));
  EXPECT_EQ(alive_of(net.node("p2.org1")), (std::set<PeerId>{"p0.org1"}));
  EXPECT_FALSE(net.node("a0.org2").discovery().member("p2.org1"));
  EXPECT_EQ(alive_of(net.node("p0.org1")), (std::set<PeerId>{"p2.org1", "a0.org2"}));
}

// protocol.md §4.3 beside Fabric: p0 (fabnet) bootstraps from f0, which keeps its
// streams by Fabric's rule and is already connected to p0. The bootstrap request
// must take that stream: a second one would make f0 close both.
TEST(BootstrapBesideFabric, TheRequestTakesTheLiveConnectionNotASecondStream) {
  StreamNetwork net;
  net.add({.name = "f0", .rule = StoreRule::kFabric});
  net.add({.name = "p0", .bootstrap = {"f0"}});
  net.node("f0").start();
  const auto earlier = net.connect("f0", "p0");  // f0 dialled p0 for some earlier exchange
  ASSERT_TRUE(earlier);
  net.node("p0").start();

  // Answered at once, not one reconnectInterval (2.5 s here) later.
  ASSERT_TRUE(
      net.scheduler.run_until_condition([&] { return net.node("p0").discovery().is_alive("f0"); },
                                        net.scheduler.now() + milliseconds(100)));
  EXPECT_EQ(net.streams_closed_by_rule, 0);
  EXPECT_EQ(net.messages_lost, 0);
  EXPECT_EQ(net.streams_dialled, 1);  // only the earlier one
  EXPECT_EQ(net.stream_between("p0", "f0"), earlier);
  net.scheduler.run_for(seconds(10));
  EXPECT_EQ(net.streams_closed_by_rule, 0);
  EXPECT_TRUE(net.node("f0").discovery().is_alive("p0"));
}

// The rule itself, so the test above cannot pass by a transport that never closes.
TEST(BootstrapBesideFabric, ASecondStreamToAFabricPeerClosesBoth) {
  StreamNetwork net;
  net.add({.name = "f0", .rule = StoreRule::kFabric});
  net.add({.name = "p0"});
  net.start_all();
  ASSERT_TRUE(net.connect("f0", "p0"));
  EXPECT_EQ(net.connect("p0", "f0"), nullptr);  // p0 would keep the old; f0 closed both
  EXPECT_EQ(net.streams_closed_by_rule, 2);
  EXPECT_EQ(net.stream_between("p0", "f0"), nullptr);
  EXPECT_EQ(net.stream_between("f0", "p0"), nullptr);
}

}  // namespace
}  // namespace fabnet::testing
