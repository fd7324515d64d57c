#include "sim/election_peer.h"

#include "election/message.h"
#include "node/leadership_store.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>
#include "node/tags.h"
#include "wire/leadership_codec.h"

namespace fabnet::sim {

using election::LeaderElection;
using election::LeadershipMessage;

namespace {

// The stale filter of protocol.md §8 (node::LeadershipStore), held per member
// position in a flat array: 16 bytes per sender instead of a hash-map node, as a
// 10,000-peer storm leaves every peer holding a message from every other.
// Same rule; the stored-at time is kept in milliseconds.
class CompactLeadershipStore {
 public:
  explicit CompactLeadershipStore(runtime::Duration ttl)
      : expire_after_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(2 * ttl).count()) {}

  bool admit(std::size_t position, std::size_t group_size, const election::PeerTime& time,
             runtime::TimePoint now) {
    Held& h = slot(position, group_size);
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    const election::PeerTime held{h.inc_num, h.seq_num};
    if (h.seq_num != 0 && now_ms - h.stored_at_ms < expire_after_ms_ &&
        !election::is_newer(time, held))
      return false;
    h.inc_num = time.inc_num;
    // seq_num starts at 1 and grows by one per message: 2^32 would take decades.
    h.seq_num = static_cast<std::uint32_t>(std::min<std::uint64_t>(time.seq_num, UINT32_MAX));
    h.stored_at_ms = static_cast<std::uint32_t>(now_ms);
    return true;
  }

 private:
  struct Held {
    std::uint64_t inc_num = 0;
    std::uint32_t seq_num = 0;  // 0: nothing held
    std::uint32_t stored_at_ms = 0;
  };
  // Sparse while few members have spoken (a follower hears mostly its leader),
  // dense once a third have.
  Held& slot(std::size_t position, std::size_t group_size) {
    if (!dense_.empty()) return dense_[position];
    if (sparse_.size() * 3 < group_size) return sparse_[static_cast<std::uint32_t>(position)];
    dense_.resize(group_size);
    for (const auto& [p, h] : sparse_) dense_[p] = h;
    sparse_ = {};
    return dense_[position];
  }

  std::int64_t expire_after_ms_;
  std::unordered_map<std::uint32_t, Held> sparse_;
  std::vector<Held> dense_;
};

}  // namespace

// One joined channel: its election and what the election needs around it.
class ElectionPeer::Channel final : public election::ElectionAdapter {
 public:
  Channel(ElectionPeer& peer, std::string name, std::size_t group)
      : peer_(peer),
        name_(std::move(name)),
        group_(group),
        factory_(peer.settings_.pki_id, peer.settings_.wall_clock_ns_at_start),
        // protocol.md §8: the leadership store's TTL is leaderAliveThreshold x 10.
        store_(peer.settings_.timings.leader_alive_threshold * 10),
        declared_leader_(peer.settings_.timings.leader_alive_threshold),
        election_(peer.settings_.pki_id, peer.settings_.timings, peer.settings_.mode,
                  peer.scheduler_, *this, [this](bool is_leader) {
                    peer_.events_.on_leadership_change(name_, is_leader);
                  }) {
    election_.set_observer(
        [this](election::ElectionEvent event) { peer_.events_.on_election_event(name_, event); });
  }
  ~Channel() override { election_.stop(); }

  LeaderElection& election() { return election_; }
  const LeaderElection& election() const { return election_; }

  const gossip::PeerId* believed_leader() const {
    if (election_.is_leader()) return &peer_.settings_.pki_id;
    return declared_leader_.at(peer_.scheduler_.now());
  }

  // A leadership message for this channel, from the member at `position`,
  // whose signature was checked.
  void on_leadership(const gossip::SignedGossip& message, const LeadershipMessage& leadership,
                     std::size_t position) {
    if (!store_.admit(position, peer_.view_.group_size(group_), leadership.timestamp,
                      peer_.scheduler_.now()))
      return peer_.drop(message, "stale");
    // Only whether a lower ID proposed matters (election.md §4, round step 6),
    // and one held lower proposal says so: the others are not handed over, so the
    // election holds at most one proposal, not one per proposer. Same decisions.
    if (!leadership.is_declaration &&
        (!election::id_less(leadership.pki_id, peer_.settings_.pki_id) ||
         election_.proposals_held() > 0))
      return;
    if (leadership.is_declaration && is_in_view(leadership.pki_id))
      declared_leader_.declared(leadership.pki_id, peer_.scheduler_.now());
    election_.handle_message(leadership);
  }

  // ElectionAdapter: sent directly to every member in view, never forwarded
  // (protocol.md §5.3), one sealed message shared by all receivers.
  void gossip(const LeadershipMessage& message) override {
    const gossip::MessagePtr sealed =
        gossip::seal(wire::to_gossip_message(message, name_), &peer_.crypto_);
    peer_.view_.for_each_seen(peer_.settings_.index, group_,
                              [&](const gossip::PeerId& to, const std::string& endpoint) {
                                peer_.transport_.send(to, endpoint, sealed);
                              });
  }
  std::size_t group() const { return group_; }
  LeadershipMessage create_message(bool is_declaration) override {
    return factory_.make(is_declaration);
  }
  bool is_in_view(const gossip::PeerId& peer) const override {
    return peer_.view_.sees(peer_.settings_.index, group_, peer);
  }
  std::size_t view_size() const override {
    return peer_.view_.seen_count(peer_.settings_.index, group_);
  }
  void report_leader_metric(bool) override {}

 private:
  ElectionPeer& peer_;
  std::string name_;
  std::size_t group_;
  election::MessageFactory factory_;
  CompactLeadershipStore store_;
  node::DeclaredLeader declared_leader_;
  LeaderElection election_;  // last: its callbacks use the members above
};

ElectionPeer::ElectionPeer(ElectionPeerSettings settings, runtime::Scheduler& scheduler,
                           node::Transport& transport, const gossip::CryptoService& crypto,
                           const GroupView& view, SimPeerEvents& events)
    : settings_(std::move(settings)),
      scheduler_(scheduler),
      transport_(transport),
      crypto_(crypto),
      view_(view),
      events_(events),
      start_timer_(scheduler) {
  for (const auto& [channel, group] : settings_.groups)
    channels_.emplace(channel, std::make_unique<Channel>(*this, channel, group));
}

ElectionPeer::~ElectionPeer() = default;

// On the next event rather than now: peers that start at the same instant are
// then all up when the first takes its first view sample, as they would appear
// at about the same time in each other's membership.
void ElectionPeer::start() {
  start_timer_.arm(runtime::Duration::zero(), [this] {
    for (auto& [name, channel] : channels_) channel->election().start();
  });
}

// The checks a full node makes on a leadership message (protocol.md §5.2, §9.4),
// minus those about membership this model does not have.
void ElectionPeer::on_message(const gossip::ConnectionInfo& from,
                              const gossip::MessagePtr& message) {
  const ::gossip::GossipMessage& m = message->message;
  if (!node::is_tag_legal(m)) return drop(*message, "illegal_tag");
  if (m.content_case() != ::gossip::GossipMessage::kLeadershipMsg)
    return drop(*message, "unsupported");
  auto it = channels_.find(m.channel());
  if (it == channels_.end()) return drop(*message, "channel_not_joined");
  const auto leadership = wire::leadership_from(m);
  if (!leadership) return drop(*message, "malformed");
  // Leadership messages are never forwarded, so the creator is the sender, whose
  // identity the connection's handshake established.
  if (leadership->pki_id != from.pki_id) return drop(*message, "unknown_identity");
  // The ground truth knows each peer's org and channels: one check for both.
  const std::optional<std::size_t> position =
      view_.member_position(it->second->group(), from.pki_id);
  if (!position) return drop(*message, "sender_not_in_group");
  if (!crypto_.verify(from.identity, message->payload, message->signature))
    return drop(*message, "bad_signature");
  it->second->on_leadership(*message, *leadership, *position);
}

const election::LeaderElection* ElectionPeer::election(const std::string& channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : &it->second->election();
}

const gossip::PeerId* ElectionPeer::believed_leader(const std::string& channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : it->second->believed_leader();
}

}  // namespace fabnet::sim
