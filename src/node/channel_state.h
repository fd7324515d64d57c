#pragma once

// One joined channel of a node, as Fabric's gossip/channel: its StateInfo store,
// the views it implies, the StateInfo publish and pull timers, and the leader
// election of this peer's org (protocol.md §7, §8, §9). The node routes messages
// here and composes channels with discovery; a channel reaches the rest of the
// node only through ChannelHost.

#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "discovery/discovery.h"
#include "election/leader_election.h"
#include "gossip/drop_reason.h"
#include "gossip/identity_store.h"
#include "node/channel_blocks.h"
#include "node/leadership_store.h"
#include "node/node.h"

namespace fabnet::node {

using gossip::DropReason;

// What a channel needs from its node (the role of Fabric's channel Adapter).
class ChannelHost {
 public:
  virtual ~ChannelHost() = default;
  virtual void send(const PeerId& to, const std::string& endpoint, MessagePtr message) = 0;
  // Marshals `message` and signs it when `sign` is set (protocol.md §3.2).
  virtual MessagePtr seal(::gossip::GossipMessage message, bool sign) = 0;
  // `message`, received from `from`, is not used.
  virtual void drop(const ConnectionInfo& from, const SignedGossip& message, DropReason reason) = 0;
  // inc_num plus virtual time: the PeerTime source (election.md §6).
  virtual std::uint64_t wall_clock_ns() const = 0;
  virtual void on_leadership_change(const std::string& channel, bool is_leader) = 0;
  virtual void on_election_event(const std::string& channel, election::ElectionEvent event) = 0;
  virtual void on_block_committed(const std::string& /*channel*/, std::uint64_t /*number*/,
                                  state::BlockSource) {}
  virtual void on_block_gap(const std::string& /*channel*/, std::uint64_t /*first_missing*/,
                            std::uint64_t /*arrived*/) {}
};

// The node's parts a channel reads; all outlive the channel.
struct ChannelEnvironment {
  const NodeSettings& settings;
  runtime::Scheduler& scheduler;
  const CryptoService& crypto;
  const discovery::Discovery& discovery;
  const gossip::IdentityStore& identities;
  std::mt19937_64& random;  // the node's: channels draw from the same sequence
};

class ChannelState final : public election::ElectionAdapter {
 public:
  ChannelState(ChannelEnvironment env, ChannelHost& host, const ChannelDefinition& definition);
  ~ChannelState() override;
  ChannelState(const ChannelState&) = delete;
  ChannelState& operator=(const ChannelState&) = delete;

  void start();
  void stop();

  const std::string& name() const { return name_; }
  const std::string& own_mac() const { return own_mac_; }
  bool has_org(const std::string& org) const { return orgs_.contains(org); }
  election::LeaderElection& election() { return *election_; }
  const election::LeaderElection& election() const { return *election_; }
  // Itself while leader, else the creator of the newest declaration accepted
  // within 2 x LAT; nullptr if none.
  const PeerId* believed_leader() const;
  // Same-org peers of the channel that are alive and have not left (§7.4, §9.3).
  bool in_org_view(const PeerId& peer) const;
  std::vector<PeerId> org_view() const;  // sorted
  // Alive peers of any of the channel's orgs with a current StateInfo here that
  // have not left (PeersOfChannel, §7.4); sorted. Never the election's view.
  std::vector<PeerId> peers() const;

  // ElectionAdapter
  void gossip(const election::LeadershipMessage& message) override;
  election::LeadershipMessage create_message(bool is_declaration) override;
  bool is_in_view(const PeerId& peer) const override { return in_org_view(peer); }
  std::size_t view_size() const override;
  void report_leader_metric(bool) override {}

  // A leadership message for this channel, tag and signature already checked.
  void on_leadership(const ConnectionInfo& from, const SignedGossip& message,
                     const election::LeadershipMessage& leadership);
  // A StateInfo (pushed or from a snapshot) whose MAC names this channel.
  // Returns whether it was new; `reason` is set when it was rejected.
  bool on_state_info(const MessagePtr& message, DropReason& reason);
  // state_info_pull_req from `from`, MAC already matched to this channel.
  void answer_pull(const ConnectionInfo& from);
  void on_snapshot(const ConnectionInfo& from, const SignedGossip& message);
  // Pushes a StateInfo to up to propagate_peer_num peers: the channel's orgs if
  // its owner has an external endpoint, otherwise my org only (§5.3).
  void push_state_info(const MessagePtr& message, const PeerId* except);
  // Discovery purged `peer`: its StateInfo goes too.
  void forget(const PeerId& peer);
  void mark_should_publish() { should_publish_ = true; }

  // Keeps this channel's blocks in `ledger` (before start()).
  void attach_ledger(ChannelLedger& ledger);
  ChannelBlocks* blocks() { return blocks_.get(); }
  const ChannelBlocks* blocks() const { return blocks_.get(); }
  // The height my StateInfo advertises; published at the next tick when it changed.
  void set_ledger_height(std::uint64_t height);
  // The ledger height `peer`'s current StateInfo advertises (0 if none).
  std::uint64_t advertised_height(const PeerId& peer) const;

 private:
  // What one peer's newest StateInfo for this channel told us (§7.3).
  struct StateInfoEntry {
    gossip::PeerTime time;
    bool left_channel = false;
    std::string org;
    MessagePtr message;  // kept whole for snapshots
  };
  // Alive members accepted by a fixed org filter, sorted by PKI-ID (the order
  // the random picks draw from); rebuilt only when discovery's alive set changes.
  struct AliveView {
    explicit AliveView(bool of_channel_orgs) : channel_orgs(of_channel_orgs) {}
    bool channel_orgs;  // the channel's orgs, else my org only
    std::uint64_t version = std::numeric_limits<std::uint64_t>::max();
    std::vector<const discovery::Member*> members;
  };

  // `parsed` is nullptr if the element did not parse.
  void on_snapshot_element(const ConnectionInfo& from, const SignedGossip& snapshot,
                           const MessagePtr& parsed);
  void on_publish_tick();
  void on_pull_tick();
  const std::vector<const discovery::Member*>& alive_view(AliveView& view);
  // Sends `message` to up to `count` random members of `sorted` other than those
  // at the `skipped` positions, drawing exactly as pick_random over that subset.
  void send_to_picks(const std::vector<const discovery::Member*>& sorted,
                     const std::vector<std::size_t>& skipped, int count, const MessagePtr& message);

  ChannelEnvironment env_;
  ChannelHost& host_;
  std::string name_;
  std::unordered_set<std::string> orgs_;
  bool my_org_in_channel_;
  std::string own_mac_;
  std::uint64_t inc_num_;
  election::MessageFactory factory_;
  std::unique_ptr<election::LeaderElection> election_;
  LeadershipStore leadership_store_;
  std::unordered_map<PeerId, StateInfoEntry> store_;
  // The payloads of store_'s messages, which own the bytes.
  std::unordered_set<std::string_view> held_payloads_;
  std::unordered_set<PeerId> same_org_;  // my org's peers with a current StateInfo here
  AliveView channel_orgs_view_{/*of_channel_orgs=*/true};
  AliveView my_org_view_{/*of_channel_orgs=*/false};
  MessagePtr own_state_info_;
  // The answer to a pull from my org (everything held, nothing filtered) while
  // store_ and own_state_info_ stay as they are: the same bytes, built once.
  MessagePtr my_org_snapshot_;
  bool should_publish_ = true;
  DeclaredLeader declared_leader_;
  runtime::Timer publish_timer_;
  runtime::Timer pull_timer_;
  // Without a ledger a channel advertises 1 (the genesis block), as before blocks existed.
  std::uint64_t ledger_height_ = 1;
  std::unique_ptr<ChannelBlocks> blocks_;
};

}  // namespace fabnet::node
