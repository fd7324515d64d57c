#include "node/node.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "discovery/identity_pull.h"
#include "gossip/channel_mac.h"
#include "gossip/envelope.h"
#include "gossip/identity_store.h"
#include "node/leadership_store.h"
#include "node/random_pick.h"
#include "node/tags.h"
#include "wire/leadership_codec.h"

namespace fabnet::node {

namespace {

using election::LeaderElection;
using election::LeadershipMessage;
using election::PeerTime;
using gossip::channel_mac;
using gossip::content_name;
using ::gossip::GossipMessage;
using gossip::IdentityStore;
using runtime::Duration;
using runtime::TimePoint;

// What one peer's newest StateInfo for a channel told us (protocol.md §7.3).
struct StateInfoEntry {
  PeerTime time;
  bool left_channel = false;
  std::string org;
  MessagePtr message;  // kept whole for snapshots
};

}  // namespace

class ChannelState;

struct Node::Impl final : discovery::DiscoveryHost {
  Impl(NodeSettings s, runtime::Scheduler& sch, Transport& t, const CryptoService& c,
       NodeObserver* o, Node& n)
      : settings(std::move(s)),
        scheduler(sch),
        transport(t),
        crypto(c),
        observer(o),
        owner(n),
        random(settings.seed),
        identities(c) {
    for (const ChannelDefinition& def : settings.channels) definitions.emplace(def.name, def);
    identities.put(settings.self.pki_id, settings.self.identity);
    discovery_ = std::make_unique<discovery::Discovery>(
        settings.self, settings.discovery, scheduler, *this, identities, crypto, random);
    identity_pull_ =
        std::make_unique<discovery::IdentityPull>(settings.self, settings.discovery, scheduler,
                                                  *this, identities, crypto, *discovery_, random);
  }

  // DiscoveryHost
  void send(const PeerId& to, const std::string& endpoint, MessagePtr message) override {
    if (!running) return;
    count_sent(*message);
    transport.send(to, endpoint, std::move(message));
  }
  void send_to_endpoint(const std::string& endpoint, MessagePtr message) override {
    if (!running) return;
    count_sent(*message);
    transport.send_to_endpoint(endpoint, std::move(message));
  }
  bool supports_probe() const override { return transport.supports_probe(); }
  void probe_endpoint(const std::string& endpoint,
                      std::function<void(std::optional<ConnectionInfo>)> done) override {
    if (!running) return;
    transport.probe_endpoint(endpoint, std::move(done));
  }
  MessagePtr seal(GossipMessage message, bool sign) override {
    return gossip::seal(std::move(message), sign ? &crypto : nullptr);
  }
  void on_member_alive(const PeerId& peer) override {
    if (observer) observer->on_member_change(owner, peer, true);
  }
  void on_member_dead(const PeerId& peer) override {
    if (observer) observer->on_member_change(owner, peer, false);
  }
  void on_member_purged(const PeerId& peer) override;

  void count_sent(const SignedGossip& message) {
    ++counter(counters.sent, message.message, sent_by_case);
    counter(counters.sent_bytes, message.message, sent_bytes_by_case) += message.wire_size();
    if (observer) observer->on_send(owner, message);
  }
  void drop(const SignedGossip& message, std::string_view reason) {
    ++counter(counters.dropped, reason, dropped_by_reason);
    if (observer) observer->on_drop(owner, message, reason);
  }
  using CounterMap = std::map<std::string, std::uint64_t, std::less<>>;
  // A counter of a CounterMap, remembered so the per-message count skips the map
  // search. Both point into the map's node, which never moves.
  struct CachedCounter {
    std::string_view key;
    std::uint64_t* value = nullptr;
  };
  // Created at first use, with the key `key`.
  static CachedCounter counter_in(CounterMap& map, std::string_view key) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(std::string(key), 0).first;
    return {it->first, &it->second};
  }
  static std::uint64_t& counter(CounterMap& map, std::string_view key,
                                std::vector<CachedCounter>& cache) {
    for (const CachedCounter& c : cache)
      if (c.key == key) return *c.value;
    cache.push_back(counter_in(map, key));
    return *cache.back().value;
  }
  // Content names depend on the content case: one cached counter per case.
  static constexpr std::size_t kContentCases = 32;
  using CountersByCase = std::array<CachedCounter, kContentCases>;
  static std::uint64_t& counter(CounterMap& map, const GossipMessage& message,
                                CountersByCase& by_case) {
    const std::string_view name = content_name(message);
    const auto content_case = static_cast<std::size_t>(message.content_case());
    if (content_case >= kContentCases) return *counter_in(map, name).value;
    CachedCounter& c = by_case[content_case];
    if (!c.value || c.key != name) c = counter_in(map, name);
    return *c.value;
  }

  const std::string* org_of(const PeerId& peer) const { return identities.org(peer); }
  const std::string& endpoint_of(const PeerId& peer) const {
    static const std::string kUnknown;
    const discovery::Member* m = discovery_->member(peer);
    return m ? m->preferred_endpoint() : kUnknown;
  }
  std::uint64_t wall_clock_ns() const {
    return settings.self.inc_num + static_cast<std::uint64_t>(scheduler.now().count());
  }

  void handle(const ConnectionInfo& from, const MessagePtr& message);
  ChannelState* channel_named(const std::string& name);
  ChannelState* channel_by_mac(const PeerId& owner_id, const std::string& mac);

  NodeSettings settings;
  runtime::Scheduler& scheduler;
  Transport& transport;
  const CryptoService& crypto;
  NodeObserver* observer;
  Node& owner;
  std::mt19937_64 random;
  IdentityStore identities;
  std::unique_ptr<discovery::Discovery> discovery_;
  std::unique_ptr<discovery::IdentityPull> identity_pull_;
  std::unordered_map<std::string, ChannelDefinition> definitions;
  std::map<std::string, std::unique_ptr<ChannelState>> channels;  // joined
  NodeCounters counters;
  CountersByCase sent_by_case{};
  CountersByCase sent_bytes_by_case{};
  CountersByCase received_by_case{};
  std::vector<CachedCounter> dropped_by_reason;
  bool running = false;
  bool stopped = false;
};

// One joined channel: its StateInfo store, the views it implies, the StateInfo
// publish/pull timers and the election of this peer's org (protocol.md §7, §9).
class ChannelState final : public election::ElectionAdapter {
 public:
  ChannelState(Node::Impl& node, const ChannelDefinition& definition)
      : node_(node),
        name_(definition.name),
        orgs_(definition.orgs.begin(), definition.orgs.end()),
        my_org_in_channel_(orgs_.contains(node.settings.self.org)),
        own_mac_(channel_mac(node.crypto, node.settings.self.pki_id, definition.name)),
        inc_num_(node.wall_clock_ns()),
        factory_(node.settings.self.pki_id, node.wall_clock_ns()),
        // protocol.md §8: the leadership store's TTL is leaderAliveThreshold x 10.
        leadership_store_(node.settings.election.leader_alive_threshold * 10),
        declared_leader_(node.settings.election.leader_alive_threshold),
        publish_timer_(node.scheduler),
        pull_timer_(node.scheduler) {
    election_ = std::make_unique<LeaderElection>(
        node.settings.self.pki_id, node.settings.election, node.settings.leader_mode,
        node.scheduler, *this, [this](bool is_leader) {
          if (node_.observer) node_.observer->on_leadership_change(node_.owner, name_, is_leader);
        });
    election_->set_observer([this](election::ElectionEvent event) {
      if (node_.observer) node_.observer->on_election_event(node_.owner, name_, event);
    });
  }

  void start() {
    publish_timer_.arm(node_.settings.publish_state_info_interval, [this] { on_publish_tick(); });
    pull_timer_.arm(node_.settings.request_state_info_interval, [this] { on_pull_tick(); });
    election_->start();
  }
  void stop() {
    election_->stop();
    publish_timer_.cancel();
    pull_timer_.cancel();
  }

  const std::string& name() const { return name_; }
  const std::string& own_mac() const { return own_mac_; }
  bool has_org(const std::string& org) const { return orgs_.contains(org); }
  LeaderElection& election() { return *election_; }
  const LeaderElection& election() const { return *election_; }

  const PeerId* believed_leader() const {
    if (election_->is_leader()) return &node_.settings.self.pki_id;
    return declared_leader_.at(node_.scheduler.now());
  }

  // Same-org peers of the channel that are alive and have not left (§7.4, §9.3).
  bool in_org_view(const PeerId& peer) const {
    auto it = same_org_.find(peer);
    return it != same_org_.end() && node_.discovery_->is_alive(peer);
  }
  std::vector<PeerId> org_view() const {
    std::vector<PeerId> view;
    for (const PeerId& peer : same_org_)
      if (node_.discovery_->is_alive(peer)) view.push_back(peer);
    std::sort(view.begin(), view.end(),
              [](const PeerId& a, const PeerId& b) { return gossip::id_less(a, b); });
    return view;
  }

  // ElectionAdapter
  void gossip(const LeadershipMessage& message) override {
    MessagePtr sealed = node_.seal(wire::to_gossip_message(message, name_), /*sign=*/true);
    for (const PeerId& peer : same_org_) {
      const discovery::Member* member = node_.discovery_->member(peer);
      if (!member || !member->alive) continue;
      node_.send(peer, member->preferred_endpoint(), sealed);
    }
  }
  LeadershipMessage create_message(bool is_declaration) override {
    return factory_.make(is_declaration);
  }
  bool is_in_view(const PeerId& peer) const override { return in_org_view(peer); }
  std::size_t view_size() const override {
    std::size_t size = 0;
    for (const PeerId& peer : same_org_) size += node_.discovery_->is_alive(peer) ? 1 : 0;
    return size;
  }
  void report_leader_metric(bool) override {}

  // A leadership message for this channel, tag and signature already checked.
  void on_leadership(const ConnectionInfo& from, const SignedGossip& message,
                     const LeadershipMessage& leadership) {
    const std::string* sender_org = node_.org_of(from.pki_id);
    const std::string& my_org = node_.settings.self.org;
    const bool sender_of_my_org = sender_org && *sender_org == my_org;
    if (!sender_org || !(sender_of_my_org ? my_org_in_channel_ : has_org(*sender_org)))
      return node_.drop(message, "sender_not_in_channel");
    if (!sender_of_my_org) return node_.drop(message, "sender_other_org");
    const std::string* creator_org = node_.org_of(leadership.pki_id);
    if (!creator_org || *creator_org != my_org) return node_.drop(message, "creator_other_org");
    if (!leadership_store_.admit(leadership.pki_id, leadership.timestamp, node_.scheduler.now()))
      return node_.drop(message, "stale");
    if (leadership.is_declaration && in_org_view(leadership.pki_id))
      declared_leader_.declared(leadership.pki_id, node_.scheduler.now());
    election_->handle_message(leadership);
  }

  // A StateInfo (pushed or from a snapshot) whose MAC names this channel.
  // Returns whether it was new; `reason` is set when it was rejected.
  bool on_state_info(const MessagePtr& message, std::string_view& reason) {
    const ::gossip::StateInfo& info = message->message.state_info();
    const PeerId& owner = info.pki_id();
    if (owner == node_.settings.self.pki_id) {
      reason = "about_self";
      return false;
    }
    const std::string* identity = node_.identities.identity(owner);
    if (!identity) {
      reason = "unknown_identity";
      return false;
    }
    const std::string* org = node_.org_of(owner);
    if (!org || !has_org(*org)) {
      reason = "owner_not_in_channel";
      return false;
    }
    const PeerTime time{info.timestamp().inc_num(), info.timestamp().seq_num()};
    auto it = store_.find(owner);
    // Identical bytes to what we hold: a duplicate, no need to verify again.
    if (it != store_.end() && it->second.message->payload == message->payload) {
      reason = "stale";
      return false;
    }
    if (it != store_.end() && !election::is_newer(time, it->second.time)) {
      reason = "stale";
      return false;
    }
    if (!node_.crypto.verify(*identity, message->payload, message->signature)) {
      reason = "bad_signature";
      return false;
    }
    const bool left = info.properties().left_channel();
    if (it != store_.end()) held_payloads_.erase(it->second.message->payload);
    store_[owner] = StateInfoEntry{time, left, *org, message};
    my_org_snapshot_.reset();
    held_payloads_.insert(message->payload);
    if (*org == node_.settings.self.org && !left)
      same_org_.insert(owner);
    else
      same_org_.erase(owner);
    return true;
  }

  void forget(const PeerId& peer) {
    if (auto it = store_.find(peer); it != store_.end())
      held_payloads_.erase(it->second.message->payload);
    if (store_.erase(peer)) my_org_snapshot_.reset();
    same_org_.erase(peer);
  }

  // state_info_pull_req from `from`, MAC already matched to this channel.
  void answer_pull(const ConnectionInfo& from) {
    const std::string* requester_org = node_.org_of(from.pki_id);
    if (!requester_org || !has_org(*requester_org)) return;
    const bool same_org = *requester_org == node_.settings.self.org;
    if (same_org && my_org_snapshot_) {
      node_.send(from.pki_id, from.endpoint, my_org_snapshot_);
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
      if (!same_org && entry.org == node_.settings.self.org) {
        const discovery::Member* m = node_.discovery_->member(peer);
        if (!m || m->endpoint.empty()) continue;
      }
      add(entry.message);
    }
    if (snapshot->elements_size() == 0) return;
    // Unsigned; the bytes carry every element, the parsed ones are dropped with `reply`.
    outer->payload = gossip::marshal(reply);
    outer->held_snapshot_elements = std::move(held);
    if (same_org) my_org_snapshot_ = outer;
    node_.send(from.pki_id, from.endpoint, std::move(outer));
  }

  void on_snapshot(const ConnectionInfo& from, const SignedGossip& message) {
    const std::string* sender_org = node_.org_of(from.pki_id);
    if (!sender_org || !has_org(*sender_org)) return node_.drop(message, "sender_not_in_channel");
    // The bytes we hold for an element's owner: it parsed, its MAC matched, and
    // on_state_info would call it stale. Skipping spares the parse and the MAC.
    if (const auto& held = message.held_snapshot_elements) {
      for (const MessagePtr& element : *held)
        if (!held_payloads_.contains(element->payload)) on_snapshot_element(message, element);
      return;
    }
    for (const ::gossip::Envelope& element : message.message.state_snapshot().elements()) {
      if (held_payloads_.contains(element.payload())) continue;
      on_snapshot_element(message, gossip::parse_shared(element.payload(), element.signature()));
    }
  }

  // `parsed` is nullptr if the element did not parse.
  void on_snapshot_element(const SignedGossip& snapshot, const MessagePtr& parsed) {
    if (!parsed || !parsed->message.has_state_info())
      return node_.drop(snapshot, "malformed_snapshot_element");
    const ::gossip::StateInfo& info = parsed->message.state_info();
    if (info.channel_mac() != channel_mac(node_.crypto, info.pki_id(), name_))
      return node_.drop(snapshot, "bad_mac");
    // Elements about peers discovery does not know are skipped silently (§7.2).
    if (!node_.discovery_->member(info.pki_id())) return;
    std::string_view reason;
    on_state_info(parsed, reason);
  }

  void mark_should_publish() { should_publish_ = true; }

 private:
  // Publishes our StateInfo when flagged (start-up, ledger change) and the
  // membership is not empty (§7.1).
  void on_publish_tick() {
    publish_timer_.arm(node_.settings.publish_state_info_interval, [this] { on_publish_tick(); });
    leadership_store_.sweep(node_.scheduler.now());
    if (!should_publish_ || node_.discovery_->alive_count() == 0) return;
    GossipMessage message;
    message.set_tag(GossipMessage::CHAN_OR_ORG);
    ::gossip::StateInfo* info = message.mutable_state_info();
    info->mutable_timestamp()->set_inc_num(inc_num_);
    info->mutable_timestamp()->set_seq_num(node_.wall_clock_ns());
    info->set_pki_id(node_.settings.self.pki_id);
    info->set_channel_mac(own_mac_);
    info->mutable_properties()->set_ledger_height(1);
    own_state_info_ = node_.seal(std::move(message), /*sign=*/true);
    my_org_snapshot_.reset();
    should_publish_ = false;
    push_state_info(own_state_info_, /*except=*/nullptr);
  }

  void on_pull_tick() {
    pull_timer_.arm(node_.settings.request_state_info_interval, [this] { on_pull_tick(); });
    const std::vector<const discovery::Member*>& candidates = alive_view(channel_orgs_view_);
    if (candidates.empty()) return;
    GossipMessage request;
    request.set_tag(GossipMessage::CHAN_OR_ORG);
    request.mutable_state_info_pull_req()->set_channel_mac(own_mac_);
    MessagePtr sealed = node_.seal(std::move(request), /*sign=*/false);
    send_to_picks(candidates, {}, node_.settings.pull_peer_num, sealed);
  }

  // Alive members accepted by a fixed org filter, sorted by PKI-ID (the order
  // the random picks draw from); rebuilt only when discovery's alive set changes.
  struct AliveView {
    explicit AliveView(bool of_channel_orgs) : channel_orgs(of_channel_orgs) {}
    bool channel_orgs;  // the channel's orgs, else my org only
    std::uint64_t version = std::numeric_limits<std::uint64_t>::max();
    std::vector<const discovery::Member*> members;
  };
  const std::vector<const discovery::Member*>& alive_view(AliveView& view) {
    const discovery::Discovery& discovery = *node_.discovery_;
    if (view.version == discovery.alive_set_version()) return view.members;
    view.members.clear();
    for (const discovery::Member* m : discovery.alive_by_id())
      if (view.channel_orgs ? has_org(m->org) : m->org == node_.settings.self.org)
        view.members.push_back(m);
    view.version = discovery.alive_set_version();
    return view.members;
  }

  // Sends `message` to up to `count` random members of `sorted` other than those
  // at the `skipped` positions, drawing exactly as pick_random over that subset.
  void send_to_picks(const std::vector<const discovery::Member*>& sorted,
                     const std::vector<std::size_t>& skipped, int count,
                     const MessagePtr& message) {
    // Sending does not touch membership, so the members stay valid meanwhile.
    for (const discovery::Member* m :
         pick_random_skipping(sorted, skipped, static_cast<std::size_t>(count), node_.random))
      node_.send(m->pki_id, m->preferred_endpoint(), message);
  }

 public:
  // Pushes a StateInfo to up to propagate_peer_num peers: the channel's orgs if
  // its owner has an external endpoint, otherwise my org only (§5.3).
  void push_state_info(const MessagePtr& message, const PeerId* except) {
    const PeerId& owner = message->message.state_info().pki_id();
    bool owner_external = false;
    if (owner == node_.settings.self.pki_id) {
      owner_external = !node_.settings.self.external_endpoint.empty();
    } else if (const discovery::Member* m = node_.discovery_->member(owner)) {
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
    send_to_picks(candidates, skipped, node_.settings.propagate_peer_num, message);
  }

 private:
  Node::Impl& node_;
  std::string name_;
  std::unordered_set<std::string> orgs_;
  bool my_org_in_channel_;
  std::string own_mac_;
  std::uint64_t inc_num_;
  election::MessageFactory factory_;
  std::unique_ptr<LeaderElection> election_;
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
};

void Node::Impl::on_member_purged(const PeerId& peer) {
  for (auto& [name, channel] : channels) channel->forget(peer);
  if (observer) observer->on_member_change(owner, peer, false);
}

ChannelState* Node::Impl::channel_named(const std::string& name) {
  auto it = channels.find(name);
  return it == channels.end() ? nullptr : it->second.get();
}

ChannelState* Node::Impl::channel_by_mac(const PeerId& owner_id, const std::string& mac) {
  for (auto& [name, channel] : channels)
    if (channel_mac(crypto, owner_id, name) == mac) return channel.get();
  return nullptr;
}

// Inbound processing in Fabric's order (protocol.md §5.2).
void Node::Impl::handle(const ConnectionInfo& from, const MessagePtr& message) {
  if (!running) return;
  const GossipMessage& m = message->message;
  ++counter(counters.received, m, received_by_case);
  if (!from.identity.empty()) identities.put_if_unknown(from.pki_id, from.identity);
  if (!is_tag_legal(m)) return drop(*message, "illegal_tag");

  switch (m.content_case()) {
    case GossipMessage::kAliveMsg:
    case GossipMessage::kMemReq:
    case GossipMessage::kMemRes:
      discovery_->handle(from, message);
      return;
    case GossipMessage::kHello:
    case GossipMessage::kDataDig:
    case GossipMessage::kDataReq:
    case GossipMessage::kDataUpdate:
      // Tag legality tied the pull type to its tag: EMPTY is the identity pull;
      // block pull (CHAN_AND_ORG) belongs to block dissemination, not built yet.
      if (m.tag() != GossipMessage::EMPTY) return drop(*message, "unsupported");
      identity_pull_->handle(from, message);
      return;
    case GossipMessage::kLeadershipMsg: {
      ChannelState* channel = channel_named(m.channel());
      if (!channel) return drop(*message, "channel_not_joined");
      const auto leadership = wire::leadership_from(m);
      if (!leadership) return drop(*message, "malformed");
      const std::string* identity = identities.identity(leadership->pki_id);
      if (!identity) return drop(*message, "unknown_identity");
      if (!crypto.verify(*identity, message->payload, message->signature))
        return drop(*message, "bad_signature");
      channel->on_leadership(from, *message, *leadership);
      return;
    }
    case GossipMessage::kStateInfo: {
      const ::gossip::StateInfo& info = m.state_info();
      ChannelState* channel = channel_by_mac(info.pki_id(), info.channel_mac());
      if (!channel) return drop(*message, "channel_not_joined");
      std::string_view reason;
      if (channel->on_state_info(message, reason)) {
        channel->push_state_info(message, &from.pki_id);  // forward what was new
      } else {
        drop(*message, reason);
      }
      return;
    }
    case GossipMessage::kStateInfoPullReq: {
      ChannelState* channel = channel_by_mac(from.pki_id, m.state_info_pull_req().channel_mac());
      if (!channel) return drop(*message, "channel_not_joined");
      channel->answer_pull(from);
      return;
    }
    case GossipMessage::kStateSnapshot: {
      ChannelState* channel = channel_named(m.channel());
      if (!channel) return drop(*message, "channel_not_joined");
      channel->on_snapshot(from, *message);
      return;
    }
    default:
      return drop(*message, "unsupported");
  }
}

Node::Node(NodeSettings settings, runtime::Scheduler& scheduler, Transport& transport,
           const CryptoService& crypto, NodeObserver* observer)
    : impl_(std::make_unique<Impl>(std::move(settings), scheduler, transport, crypto, observer,
                                   *this)) {}

Node::~Node() {
  stop();
}

void Node::start() {
  if (impl_->running || impl_->stopped) return;
  impl_->running = true;
  impl_->discovery_->start();
  impl_->identity_pull_->start();
  for (const std::string& channel : impl_->settings.join_at_start) join_channel(channel);
}

void Node::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  for (auto& [name, channel] : impl_->channels) channel->stop();
  impl_->identity_pull_->stop();
  impl_->discovery_->stop();
  impl_->running = false;
}

void Node::join_channel(const std::string& channel) {
  auto def = impl_->definitions.find(channel);
  if (def == impl_->definitions.end())
    throw std::invalid_argument(
        fmt::format("unknown channel {:?}: not in the channel definitions", channel));
  if (impl_->channels.contains(channel)) return;
  auto state = std::make_unique<ChannelState>(*impl_, def->second);
  ChannelState& ref = *state;
  impl_->channels.emplace(channel, std::move(state));
  if (impl_->running) ref.start();
}

void Node::on_message(const ConnectionInfo& from, const MessagePtr& message) {
  impl_->handle(from, message);
}

void Node::yield(const std::string& channel) {
  if (ChannelState* c = impl_->channel_named(channel)) c->election().yield();
}

const PeerId& Node::id() const {
  return impl_->settings.self.pki_id;
}
const std::string& Node::org() const {
  return impl_->settings.self.org;
}
const NodeSettings& Node::settings() const {
  return impl_->settings;
}
bool Node::running() const {
  return impl_->running;
}

bool Node::is_leader(const std::string& channel) const {
  const ChannelState* c = impl_->channel_named(channel);
  return c && !c->election().stopped() && c->election().is_leader();
}

const PeerId* Node::believed_leader(const std::string& channel) const {
  const ChannelState* c = impl_->channel_named(channel);
  return c ? c->believed_leader() : nullptr;
}

std::vector<std::string> Node::joined_channels() const {
  std::vector<std::string> names;
  for (const auto& [name, channel] : impl_->channels) names.push_back(name);
  return names;
}

std::vector<PeerId> Node::channel_org_view(const std::string& channel) const {
  const ChannelState* c = impl_->channel_named(channel);
  return c ? c->org_view() : std::vector<PeerId>{};
}

const election::LeaderElection* Node::election(const std::string& channel) const {
  const ChannelState* c = impl_->channel_named(channel);
  return c ? &c->election() : nullptr;
}

const discovery::Discovery& Node::discovery() const {
  return *impl_->discovery_;
}
const NodeCounters& Node::counters() const {
  return impl_->counters;
}

}  // namespace fabnet::node
