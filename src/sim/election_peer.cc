#include "sim/election_peer.h"

#include "election/message.h"
#include "node/leadership_store.h"
#include "node/tags.h"
#include "wire/leadership_codec.h"

namespace fabnet::sim {

using election::LeaderElection;
using election::LeadershipMessage;

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

  // A leadership message for this channel whose signature was checked.
  void on_leadership(const gossip::SignedGossip& message, const LeadershipMessage& leadership) {
    if (!store_.admit(leadership.pki_id, leadership.timestamp, peer_.scheduler_.now()))
      return peer_.drop(message, "stale");
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
  node::LeadershipStore store_;
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
  if (!view_.is_member(it->second->group(), from.pki_id))
    return drop(*message, "sender_not_in_group");
  if (!crypto_.verify(from.identity, message->payload, message->signature))
    return drop(*message, "bad_signature");
  it->second->on_leadership(*message, *leadership);
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
