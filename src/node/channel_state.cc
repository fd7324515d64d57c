#include "node/channel_state.h"

#include <algorithm>

#include "gossip/channel_mac.h"
#include "gossip/envelope.h"
#include "node/random_pick.h"
#include "wire/leadership_codec.h"

namespace fabnet::node {

using election::LeaderElection;
using election::LeadershipMessage;
using election::PeerTime;
using gossip::channel_mac;
using ::gossip::GossipMessage;

ChannelState::ChannelState(ChannelEnvironment env, ChannelHost& host,
                           const ChannelDefinition& definition)
    : env_(env),
      host_(host),
      name_(definition.name),
      orgs_(definition.orgs.begin(), definition.orgs.end()),
      my_org_in_channel_(orgs_.contains(env.settings.self.org)),
      own_mac_(channel_mac(env.crypto, env.settings.self.pki_id, definition.name)),
      inc_num_(host.wall_clock_ns()),
      factory_(env.settings.self.pki_id, host.wall_clock_ns()),
      // protocol.md §8: the leadership store's TTL is leaderAliveThreshold x 10.
      leadership_store_(env.settings.election.leader_alive_threshold * 10),
      declared_leader_(env.settings.election.leader_alive_threshold),
      publish_timer_(env.scheduler),
      pull_timer_(env.scheduler) {
  election_ = std::make_unique<LeaderElection>(
      env_.settings.self.pki_id, env_.settings.election, env_.settings.leader_mode, env_.scheduler,
      *this, [this](bool is_leader) { host_.on_leadership_change(name_, is_leader); });
  election_->set_observer(
      [this](election::ElectionEvent event) { host_.on_election_event(name_, event); });
}

ChannelState::~ChannelState() = default;

void ChannelState::start() {
  publish_timer_.arm(env_.settings.publish_state_info_interval, [this] { on_publish_tick(); });
  pull_timer_.arm(env_.settings.request_state_info_interval, [this] { on_pull_tick(); });
  election_->start();
  if (blocks_) blocks_->start();
}

void ChannelState::attach_ledger(ChannelLedger& ledger) {
  blocks_ = std::make_unique<ChannelBlocks>(env_, host_, *this, ledger);
}

void ChannelState::set_ledger_height(std::uint64_t height) {
  if (height == ledger_height_) return;
  ledger_height_ = height;
  should_publish_ = true;
}

std::uint64_t ChannelState::advertised_height(const PeerId& peer) const {
  const auto it = store_.find(peer);
  if (it == store_.end() || !it->second.message) return 0;
  return it->second.message->message.state_info().properties().ledger_height();
}

void ChannelState::stop() {
  if (blocks_) blocks_->stop();
  election_->stop();
  publish_timer_.cancel();
  pull_timer_.cancel();
}

const PeerId* ChannelState::believed_leader() const {
  if (election_->is_leader()) return &env_.settings.self.pki_id;
  return declared_leader_.at(env_.scheduler.now());
}

bool ChannelState::in_org_view(const PeerId& peer) const {
  auto it = same_org_.find(peer);
  return it != same_org_.end() && env_.discovery.is_alive(peer);
}

std::vector<PeerId> ChannelState::org_view() const {
  std::vector<PeerId> view;
  for (const PeerId& peer : same_org_)
    if (env_.discovery.is_alive(peer)) view.push_back(peer);
  std::sort(view.begin(), view.end(),
            [](const PeerId& a, const PeerId& b) { return gossip::id_less(a, b); });
  return view;
}

std::vector<PeerId> ChannelState::peers() const {
  std::vector<PeerId> peers;
  for (const auto& [peer, entry] : store_)
    if (!entry.left_channel && env_.discovery.is_alive(peer)) peers.push_back(peer);
  std::sort(peers.begin(), peers.end(),
            [](const PeerId& a, const PeerId& b) { return gossip::id_less(a, b); });
  return peers;
}

void ChannelState::gossip(const LeadershipMessage& message) {
  MessagePtr sealed = host_.seal(wire::to_gossip_message(message, name_), /*sign=*/true);
  for (const PeerId& peer : same_org_) {
    const discovery::Member* member = env_.discovery.member(peer);
    if (!member || !member->alive) continue;
    host_.send(peer, member->preferred_endpoint(), sealed);
  }
}

LeadershipMessage ChannelState::create_message(bool is_declaration) {
  return factory_.make(is_declaration);
}

std::size_t ChannelState::view_size() const {
  std::size_t size = 0;
  for (const PeerId& peer : same_org_) size += env_.discovery.is_alive(peer) ? 1 : 0;
  return size;
}

void ChannelState::on_leadership(const ConnectionInfo& from, const SignedGossip& message,
                                 const LeadershipMessage& leadership) {
  const std::string* sender_org = env_.identities.org(from.pki_id);
  const std::string& my_org = env_.settings.self.org;
  const bool sender_of_my_org = sender_org && *sender_org == my_org;
  if (!sender_org || !(sender_of_my_org ? my_org_in_channel_ : has_org(*sender_org)))
    return host_.drop(from, message, DropReason::kSenderNotInChannel);
  if (!sender_of_my_org) return host_.drop(from, message, DropReason::kSenderOtherOrg);
  const std::string* creator_org = env_.identities.org(leadership.pki_id);
  if (!creator_org || *creator_org != my_org)
    return host_.drop(from, message, DropReason::kCreatorOtherOrg);
  if (!leadership_store_.admit(leadership.pki_id, leadership.timestamp, env_.scheduler.now()))
    return host_.drop(from, message, DropReason::kStale);
  // The election ignores peers outside its view (election.md §4 rule 1): a peer
  // whose StateInfo or alive message has not arrived yet, or one that left.
  if (!in_org_view(leadership.pki_id))
    return host_.drop(from, message, DropReason::kSenderNotInView);
  if (leadership.is_declaration) declared_leader_.declared(leadership.pki_id, env_.scheduler.now());
  election_->handle_message(leadership);
}

bool ChannelState::on_state_info(const MessagePtr& message, DropReason& reason) {
  const ::gossip::StateInfo& info = message->message.state_info();
  const PeerId& owner = info.pki_id();
  if (owner == env_.settings.self.pki_id) {
    reason = DropReason::kAboutSelf;
    return false;
  }
  const std::string* identity = env_.identities.identity(owner);
  if (!identity) {
    reason = DropReason::kUnknownIdentity;
    return false;
  }
  const std::string* org = env_.identities.org(owner);
  if (!org || !has_org(*org)) {
    reason = DropReason::kOwnerNotInChannel;
    return false;
  }
  const PeerTime time{info.timestamp().inc_num(), info.timestamp().seq_num()};
  auto it = store_.find(owner);
  // Identical bytes to what we hold: a duplicate, no need to verify again.
  if (it != store_.end() && it->second.message->payload == message->payload) {
    reason = DropReason::kStale;
    return false;
  }
  if (it != store_.end() && !election::is_newer(time, it->second.time)) {
    reason = DropReason::kStale;
    return false;
  }
  if (!env_.crypto.verify(*identity, message->payload, message->signature)) {
    reason = DropReason::kBadSignature;
    return false;
  }
  const bool left = info.properties().left_channel();
  if (it != store_.end()) held_payloads_.erase(it->second.message->payload);
  store_[owner] = StateInfoEntry{time, left, *org, message};
  my_org_snapshot_.reset();
  held_payloads_.insert(message->payload);
  if (*org == env_.settings.self.org && !left)
    same_org_.insert(owner);
  else
    same_org_.erase(owner);
  return true;
}

void ChannelState::forget(const PeerId& peer) {
  if (auto it = store_.find(peer); it != store_.end())
    held_payloads_.erase(it->second.message->payload);
  if (store_.erase(peer)) my_org_snapshot_.reset();
  same_org_.erase(peer);
}

void ChannelState::answer_pull(const ConnectionInfo& from) {
  const std::string* requester_org = env_.identities.org(from.pki_id);
  if (!requester_org || !has_org(*requester_org)) return;
  const bool same_org = *requester_org == env_.settings.self.org;
  if (same_org && my_org_snapshot_) {
    host_.send(from.pki_id, from.endpoint, my_org_snapshot_);
    return;
  }
  GossipMessage reply;
  reply.set_channel(name_);
  reply.set_tag(GossipMessage::CHAN_OR_ORG);
  ::gossip::StateInfoSnapshot* snapshot = reply.mutable_state_snapshot();
  auto outer = std::make_shared<SignedGossip>();
  outer->message = reply;  // no elements: `held` has them
  auto held = std::make_shared<std::vector<MessagePtr>>();
  held->reserve(store_.size() + 1);
  auto add = [&](const MessagePtr& m) {
    ::gossip::Envelope* e = snapshot->add_elements();
    e->set_payload(m->payload);
    e->set_signature(m->signature);
    held->push_back(m);
  };
  if (own_state_info_) add(own_state_info_);
  for (const auto& [peer, entry] : store_) {
    // A foreign requester sees my org's peers only if they have an external endpoint.
    if (!same_org && entry.org == env_.settings.self.org) {
      const discovery::Member* m = env_.discovery.member(peer);
      if (!m || m->endpoint.empty()) continue;
    }
    add(entry.message);
  }
  if (snapshot->elements_size() == 0) return;
  // Unsigned; the bytes carry every element, the parsed ones are dropped with `reply`.
  outer->payload = gossip::marshal(reply);
  outer->held_snapshot_elements = std::move(held);
  if (same_org) my_org_snapshot_ = outer;
  host_.send(from.pki_id, from.endpoint, std::move(outer));
}

void ChannelState::on_snapshot(const ConnectionInfo& from, const SignedGossip& message) {
  const std::string* sender_org = env_.identities.org(from.pki_id);
  if (!sender_org || !has_org(*sender_org))
    return host_.drop(from, message, DropReason::kSenderNotInChannel);
  // Taken whole or not at all: more elements than any channel has peers is an
  // attack on memory and CPU (every element may cost a MAC and a signature check).
  const std::size_t elements =
      message.held_snapshot_elements
          ? message.held_snapshot_elements->size()
          : static_cast<std::size_t>(message.message.state_snapshot().elements_size());
  if (elements > env_.settings.max_state_info_snapshot_entries)
    return host_.drop(from, message, DropReason::kOversizeList);
  // The bytes we hold for an element's owner: it parsed, its MAC matched, and
  // on_state_info would call it stale. Skipping spares the parse and the MAC.
  if (const auto& held = message.held_snapshot_elements) {
    for (const MessagePtr& element : *held)
      if (!held_payloads_.contains(element->payload)) on_snapshot_element(from, message, element);
    return;
  }
  for (const ::gossip::Envelope& element : message.message.state_snapshot().elements()) {
    if (held_payloads_.contains(element.payload())) continue;
    on_snapshot_element(from, message,
                        gossip::parse_shared(element.payload(), element.signature()));
  }
}

void ChannelState::on_snapshot_element(const ConnectionInfo& from, const SignedGossip& snapshot,
                                       const MessagePtr& parsed) {
  if (!parsed || !parsed->message.has_state_info())
    return host_.drop(from, snapshot, DropReason::kMalformedSnapshotElement);
  const ::gossip::StateInfo& info = parsed->message.state_info();
  if (info.channel_mac() != channel_mac(env_.crypto, info.pki_id(), name_))
    return host_.drop(from, snapshot, DropReason::kBadMac);
  // Elements about peers discovery does not know are skipped silently (§7.2).
  if (!env_.discovery.member(info.pki_id())) return;
  DropReason reason{};
  on_state_info(parsed, reason);
}

// Publishes our StateInfo when flagged (start-up, ledger change) and the
// membership is not empty (§7.1).
void ChannelState::on_publish_tick() {
  publish_timer_.arm(env_.settings.publish_state_info_interval, [this] { on_publish_tick(); });
  leadership_store_.sweep(env_.scheduler.now());
  if (!should_publish_ || env_.discovery.alive_count() == 0) return;
  GossipMessage message;
  message.set_tag(GossipMessage::CHAN_OR_ORG);
  ::gossip::StateInfo* info = message.mutable_state_info();
  info->mutable_timestamp()->set_inc_num(inc_num_);
  info->mutable_timestamp()->set_seq_num(host_.wall_clock_ns());
  info->set_pki_id(env_.settings.self.pki_id);
  info->set_channel_mac(own_mac_);
  info->mutable_properties()->set_ledger_height(ledger_height_);
  own_state_info_ = host_.seal(std::move(message), /*sign=*/true);
  my_org_snapshot_.reset();
  should_publish_ = false;
  push_state_info(own_state_info_, /*except=*/nullptr);
}

void ChannelState::on_pull_tick() {
  pull_timer_.arm(env_.settings.request_state_info_interval, [this] { on_pull_tick(); });
  const std::vector<const discovery::Member*>& candidates = alive_view(channel_orgs_view_);
  if (candidates.empty()) return;
  GossipMessage request;
  request.set_tag(GossipMessage::CHAN_OR_ORG);
  request.mutable_state_info_pull_req()->set_channel_mac(own_mac_);
  MessagePtr sealed = host_.seal(std::move(request), /*sign=*/false);
  send_to_picks(candidates, {}, env_.settings.pull_peer_num, sealed);
}

const std::vector<const discovery::Member*>& ChannelState::alive_view(AliveView& view) {
  const discovery::Discovery& discovery = env_.discovery;
  if (view.version == discovery.alive_set_version()) return view.members;
  view.members.clear();
  for (const discovery::Member* m : discovery.alive_by_id())
    if (view.channel_orgs ? has_org(m->org) : m->org == env_.settings.self.org)
      view.members.push_back(m);
  view.version = discovery.alive_set_version();
  return view.members;
}

void ChannelState::send_to_picks(const std::vector<const discovery::Member*>& sorted,
                                 const std::vector<std::size_t>& skipped, int count,
                                 const MessagePtr& message) {
  // Sending does not touch membership, so the members stay valid meanwhile.
  for (const discovery::Member* m :
       pick_random_skipping(sorted, skipped, static_cast<std::size_t>(count), env_.random))
    host_.send(m->pki_id, m->preferred_endpoint(), message);
}

void ChannelState::push_state_info(const MessagePtr& message, const PeerId* except) {
  const PeerId& owner = message->message.state_info().pki_id();
  bool owner_external = false;
  if (owner == env_.settings.self.pki_id) {
    owner_external = !env_.settings.self.external_endpoint.empty();
  } else if (const discovery::Member* m = env_.discovery.member(owner)) {
    owner_external = !m->endpoint.empty();
  }
  const std::vector<const discovery::Member*>& candidates =
      alive_view(owner_external ? channel_orgs_view_ : my_org_view_);
  // The candidates are those minus `except` and the owner.
  std::vector<std::size_t> skipped;
  const auto skip = [&](const PeerId& peer) {
    const auto it = std::lower_bound(
        candidates.begin(), candidates.end(), peer,
        [](const discovery::Member* m, const PeerId& id) { return m->pki_id < id; });
    if (it != candidates.end() && (*it)->pki_id == peer)
      skipped.push_back(static_cast<std::size_t>(it - candidates.begin()));
  };
  if (except) skip(*except);
  if (!except || *except != owner) skip(owner);
  std::sort(skipped.begin(), skipped.end());
  send_to_picks(candidates, skipped, env_.settings.propagate_peer_num, message);
}

}  // namespace fabnet::node
