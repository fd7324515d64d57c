// Cross-org membership through anchor peers (protocol.md §4.5, §6, §7.4) with
// real `fabnet peer` processes on 127.0.0.1: 2 orgs x 3 peers on one channel.
// peer0 of each org is its anchor peer (channels.yaml) and, like peer1, has
// peer.gossip.externalEndpoint; peer2 has none, so other orgs must never learn of
// it, and it learns of no other org.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "peer_network.h"

namespace fabnet::testing {
namespace {

const std::vector<std::string> kOrgs{"org1", "org2"};

std::string id_of(int index, const std::string& org) {
  return "peer" + std::to_string(index) + "." + org;
}

class AnchorProcesses : public ::testing::Test {
 protected:
  AnchorProcesses() : net_(kOrgs, 3, {{"mychannel", {0, 1, 2}}}) {
    net_.set_anchor_peers({{"org1", {0}}, {"org2", {0}}}, {"peer1.org1", "peer1.org2"});
  }

  // The PKI-IDs (hex) each peer should hold alive: its org, and the other org's
  // reachable peers if it is reachable itself.
  std::set<std::string> expected_members(int index, const std::string& org) {
    std::set<std::string> ids;
    for (const std::string& other_org : kOrgs)
      for (int i = 0; i < 3; ++i) {
        if (other_org == org && i == index) continue;
        if (other_org != org && (index == 2 || i == 2)) continue;
        ids.insert(net_.peer(id_of(i, other_org)).pki_id_hex);
      }
    return ids;
  }
  // What peer `id`'s /status lists as alive members and as peers of mychannel.
  bool holds(const std::string& id, const std::set<std::string>& expected) {
    const auto status = net_.status(id);
    if (!status) return false;
    std::set<std::string> alive, channel_peers;
    for (const auto& m : (*status)["alive_members"]) alive.insert(m["pki_id"].get<std::string>());
    for (const auto& p : (*status)["channels"]["mychannel"]["peers"])
      channel_peers.insert(p["pki_id"].get<std::string>());
    return alive == expected && channel_peers == expected;
  }
  bool all_views_as_expected() {
    for (const std::string& org : kOrgs)
      for (int i = 0; i < 3; ++i)
        if (!holds(id_of(i, org), expected_members(i, org))) return false;
    return true;
  }
  std::string diagnostics() {
    std::string out;
    for (const std::string& org : kOrgs)
      for (int i = 0; i < 3; ++i) {
        const std::string id = id_of(i, org);
        const auto s = net_.status(id);
        out += id + " " + (s ? s->dump() : std::string("<no status>")) + "\n";
        if (!s) out += net_.log_tail(id, 30) + "\n";
      }
    return out;
  }

  PeerNetwork net_;
};

TEST_F(AnchorProcesses, OrgsSeeEachOthersReachablePeersAndEachElectsItsOwnLeader) {
  net_.start_all();
  // Every PKI-ID, from each peer's own /status.
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        for (const std::string& org : kOrgs)
          for (int i = 0; i < 3; ++i)
            if (!net_.status(id_of(i, org))) return false;
        return true;
      },
      milliseconds(15000)))
      << diagnostics();

  // Alive membership and the channel's StateInfo (PeersOfChannel) span both orgs
  // exactly where external endpoints allow.
  ASSERT_TRUE(PeerNetwork::wait_until([&] { return all_views_as_expected(); }, milliseconds(20000)))
      << diagnostics();
  // Elections stay per org: one leader in each, every member agreeing, views of
  // the own org only.
  std::string leader1, leader2;
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        return net_.settled("mychannel", "org1", &leader1) &&
               net_.settled("mychannel", "org2", &leader2) &&
               net_.views_complete("mychannel", "org1") && net_.views_complete("mychannel", "org2");
      },
      milliseconds(20000)))
      << diagnostics();
  for (const std::string& org : kOrgs)
    for (int i = 0; i < 3; ++i) {
      const auto status = net_.status(id_of(i, org));
      ASSERT_TRUE(status);
      EXPECT_EQ((*status)["channels"]["mychannel"]["view"].size(), 2u) << id_of(i, org);
    }
  // A hidden peer stays hidden for a while longer: nothing leaks late.
  std::this_thread::sleep_for(milliseconds(3000));
  EXPECT_TRUE(all_views_as_expected()) << diagnostics();
  EXPECT_TRUE(net_.settled("mychannel", "org1") && net_.settled("mychannel", "org2"))
      << diagnostics();
}

}  // namespace
}  // namespace fabnet::testing
