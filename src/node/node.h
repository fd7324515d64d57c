#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/discovery.h"
#include "election/leader_election.h"
#include "gossip/crypto.h"
#include "gossip/drop_reason.h"
#include "gossip/message.h"
#include "node/channel_blocks.h"
#include "node/transport.h"
#include "runtime/scheduler.h"

namespace fabnet::node {

// An anchor peer of a channel: where the channel config says an org can be
// reached from outside it.
struct AnchorPeer {
  std::string org;       // MSP ID
  std::string endpoint;  // host:port
};

// A channel as its config block defines it, for what gossip needs: the member
// orgs and their anchor peers.
struct ChannelDefinition {
  std::string name;
  std::vector<std::string> orgs;  // MSP IDs
  // Contacted on joining (Fabric's learnAnchorPeers): how orgs learn of each other.
  std::vector<AnchorPeer> anchor_peers = {};
};

struct NodeSettings {
  discovery::SelfInfo self;
  discovery::DiscoverySettings discovery;
  election::ElectionTimings election;
  election::LeaderMode leader_mode = election::LeaderMode::kDynamic;
  runtime::Duration publish_state_info_interval = std::chrono::seconds(4);
  runtime::Duration request_state_info_interval = std::chrono::seconds(4);
  int pull_peer_num = 3;
  int propagate_peer_num = 3;
  // Longest StateInfo snapshot taken from one peer; a longer one is dropped whole
  // (oversize_list). Keep it a few times the largest channel.
  std::size_t max_state_info_snapshot_entries = 20000;
  // A rejection (gossip::is_rejection) is reported to the observer once per
  // (peer, reason) in this interval; the rest are only counted.
  runtime::Duration rejection_report_interval = std::chrono::seconds(60);
  // Blocks among my org's peers; used for channels the ledger provider backs.
  BlockSettings blocks;
  std::vector<ChannelDefinition> channels;  // every channel this node may join
  std::vector<std::string> join_at_start;   // names from `channels`
  std::uint64_t seed = 1;                   // the node's random source (peer selection)
};

class Node;

// Input refused as one a correct peer never sends (forged, another org's, bad
// MAC, malformed, oversize), as reported to the observer.
struct Rejection {
  PeerId peer;           // the connection's authenticated PKI-ID
  std::string endpoint;  // the connection's remote endpoint
  gossip::DropReason reason;
  std::string_view message_type;  // content name of the refused message
  // Rejections of the same (peer, reason) counted but not reported since the last report.
  std::uint64_t suppressed = 0;
};
// One line for a log: "rejected leadership_msg from 10.0.0.7:7051 (PKI-ID 3fa2…): bad_signature".
std::string describe(const Rejection& rejection);

// Optional hooks for drivers (simulator reports, daemon metrics and logs).
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  virtual void on_leadership_change(const Node&, const std::string& /*channel*/,
                                    bool /*is_leader*/) {}
  virtual void on_election_event(const Node&, const std::string& /*channel*/,
                                 election::ElectionEvent) {}
  // Every message handed to the transport.
  virtual void on_send(const Node&, const SignedGossip&) {}
  // Every inbound message dropped, with a short reason ("stale", "wrong_org", ...).
  virtual void on_drop(const Node&, const SignedGossip&, std::string_view /*reason*/) {}
  virtual void on_member_change(const Node&, const PeerId&, bool /*alive*/) {}
  // Joining `channel` asked discovery to contact one of its anchor peers.
  virtual void on_anchor_peer(const Node&, const std::string& /*channel*/, const AnchorPeer&,
                              discovery::AnchorContact) {}
  // A rejection, at most once per (peer, reason) per rejection_report_interval
  // (drivers log it at warning; Fabric logs authentication failures so).
  virtual void on_rejection(const Node&, const Rejection&) {}
  // A block appended to `channel`'s ledger (from the orderer, by push, pull or state transfer).
  virtual void on_block_committed(const Node&, const std::string& /*channel*/,
                                  std::uint64_t /*number*/, state::BlockSource) {}
  // Block `arrived` came by push with blocks [first_missing, arrived) missing just
  // below it: the first sign of a push this peer missed. Once per hole.
  virtual void on_block_gap(const Node&, const std::string& /*channel*/,
                            std::uint64_t /*first_missing*/, std::uint64_t /*arrived*/) {}
};

struct NodeCounters {
  std::map<std::string, std::uint64_t, std::less<>> sent;        // by content name
  std::map<std::string, std::uint64_t, std::less<>> sent_bytes;  // by content name
  std::map<std::string, std::uint64_t, std::less<>> received;    // by content name
  std::map<std::string, std::uint64_t, std::less<>> dropped;     // by reason
};

// The protocol logic of one peer: membership, channel membership (StateInfo),
// routing and tag rules, and one leader election per joined channel. Pure: it
// reaches the world only through the scheduler, the transport and the crypto
// service, so the simulator and the daemon drive the same code.
class Node {
 public:
  Node(NodeSettings settings, runtime::Scheduler& scheduler, Transport& transport,
       const CryptoService& crypto, NodeObserver* observer = nullptr);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void start();
  // Idempotent; afterwards no timer fires and nothing is sent.
  void stop();
  // Joins a channel from settings().channels (no-op if joined). Throws
  // std::invalid_argument for an unknown channel.
  void join_channel(const std::string& channel);
  // Adds a channel definition at run time (a config block given to a running
  // peer), so that join_channel can join it. Same name and orgs again: no-op.
  // Throws std::invalid_argument when a channel of that name has other orgs.
  void define_channel(const ChannelDefinition& definition);

  // An inbound message on an authenticated connection.
  void on_message(const ConnectionInfo& from, const MessagePtr& message);

  // The block-delivery side cannot reach the orderer (election.md §4 Yield).
  void yield(const std::string& channel);

  // Where channels keep their blocks; set before start(). Channels it gives no
  // ledger (and all channels without a provider) take no part in block
  // dissemination and advertise ledger height 1.
  void set_ledger_provider(LedgerProvider* provider);
  // The leader's deliver client verified and appended block `number` of `channel`:
  // spread it to my org (protocol.md §10.1–§10.2).
  void on_orderer_block(const std::string& channel, std::uint64_t number, const std::string& bytes);
  // The deliver client verified block `number` and is about to append it: spread it
  // already (ChannelBlocks::on_orderer_block_verified).
  void on_orderer_block_verified(const std::string& channel, std::uint64_t number,
                                 const std::string& bytes);
  // The channel's blocks, or nullptr if it keeps none (or is not joined).
  const ChannelBlocks* blocks(const std::string& channel) const;

  const PeerId& id() const;
  const std::string& org() const;
  const NodeSettings& settings() const;
  bool running() const;
  bool is_leader(const std::string& channel) const;
  // Who this peer believes leads its org on `channel`: itself while leader,
  // else the sender of the newest declaration accepted within 2 x LAT; nullptr if none.
  const PeerId* believed_leader(const std::string& channel) const;
  std::vector<std::string> joined_channels() const;
  // Alive peers of my org that announced `channel` (self excluded), sorted.
  std::vector<PeerId> channel_org_view(const std::string& channel) const;
  // Alive peers of any org of `channel` that announced it and have not left
  // (Fabric's PeersOfChannel, protocol.md §7.4; self excluded), sorted. Only my
  // org's take part in my election.
  std::vector<PeerId> channel_peers(const std::string& channel) const;
  const election::LeaderElection* election(const std::string& channel) const;
  const discovery::Discovery& discovery() const;
  const NodeCounters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fabnet::node
