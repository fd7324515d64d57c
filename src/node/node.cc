#include "node/node.h"

#include <algorithm>

#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include <unordered_map>

#include "discovery/identity_pull.h"
#include "gossip/channel_mac.h"
#include "gossip/identity_store.h"
#include "gossip/rejection_limiter.h"
#include "node/channel_state.h"
#include "node/tags.h"
#include "runtime/check.h"
#include "wire/leadership_codec.h"

namespace fabnet::node {

namespace {

using gossip::channel_mac;
using gossip::content_name;
using ::gossip::GossipMessage;
using gossip::IdentityStore;

}  // namespace

struct Node::Impl final : discovery::DiscoveryHost, ChannelHost {
  Impl(NodeSettings s, runtime::Scheduler& sch, Transport& t, const CryptoService& c,
       NodeObserver* o, Node& n)
      : settings(std::move(s)),
        scheduler(sch),
        transport(t),
        crypto(c),
        observer(o),
        owner(n),
        random(settings.seed),
        identities(c),
        rejections(settings.rejection_report_interval) {
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
  // ChannelHost
  void drop(const ConnectionInfo& from, const SignedGossip& message, DropReason reason) override {
    const std::string_view name = gossip::drop_reason_name(reason);
    ++counter(counters.dropped, name, dropped_by_reason);
    if (!observer) return;
    observer->on_drop(owner, message, name);
    if (!gossip::is_rejection(reason)) return;
    if (const auto suppressed = rejections.admit(from.pki_id, reason, scheduler.now()))
      observer->on_rejection(owner, Rejection{from.pki_id, from.endpoint, reason,
                                              content_name(message.message), *suppressed});
  }
  void on_leadership_change(const std::string& channel, bool is_leader) override {
    // A static follower never leads (election.md §3): its org relies on another peer.
    FABNET_CHECK(!is_leader || settings.leader_mode != election::LeaderMode::kStaticFollower);
    if (observer) observer->on_leadership_change(owner, channel, is_leader);
  }
  void on_election_event(const std::string& channel, election::ElectionEvent event) override {
    if (observer) observer->on_election_event(owner, channel, event);
  }
  void on_block_committed(const std::string& channel, std::uint64_t number,
                          state::BlockSource source) override {
    if (observer) observer->on_block_committed(owner, channel, number, source);
  }
  void on_block_gap(const std::string& channel, std::uint64_t first_missing,
                    std::uint64_t arrived) override {
    if (observer) observer->on_block_gap(owner, channel, first_missing, arrived);
  }
  // The channel's blocks for an inbound block message, or nullptr once dropped.
  ChannelBlocks* blocks_for(const ConnectionInfo& from, const MessagePtr& message) {
    ChannelState* channel = channel_named(message->message.channel());
    if (!channel) {
      drop(from, *message, DropReason::kChannelNotJoined);
      return nullptr;
    }
    if (!channel->blocks()) drop(from, *message, DropReason::kBlockNoLedger);
    return channel->blocks();
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
  std::uint64_t wall_clock_ns() const override {
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
  LedgerProvider* ledgers = nullptr;
  Node& owner;
  std::mt19937_64 random;
  IdentityStore identities;
  gossip::RejectionLimiter rejections;
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
  if (!is_tag_legal(m)) return drop(from, *message, DropReason::kIllegalTag);

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
      // Tag legality tied the pull type to its tag: EMPTY is the identity pull,
      // CHAN_AND_ORG the block pull of a channel.
      if (m.tag() == GossipMessage::EMPTY) {
        identity_pull_->handle(from, message);
      } else if (ChannelBlocks* blocks = blocks_for(from, message)) {
        blocks->on_pull_message(from, message);
      }
      return;
    case GossipMessage::kDataMsg:
      if (ChannelBlocks* blocks = blocks_for(from, message)) {
        // The sender's org must be a member of the channel (§10.2).
        const auto org = crypto.org_of(from.identity);
        if (!org || !channel_named(m.channel())->has_org(*org))
          return drop(from, *message, DropReason::kSenderNotInChannel);
        blocks->on_data_message(from, message);
      }
      return;
    case GossipMessage::kStateRequest:
    case GossipMessage::kStateResponse:
      if (ChannelBlocks* blocks = blocks_for(from, message))
        blocks->on_state_message(from, message);
      return;
    case GossipMessage::kLeadershipMsg: {
      ChannelState* channel = channel_named(m.channel());
      if (!channel) return drop(from, *message, DropReason::kChannelNotJoined);
      const auto leadership = wire::leadership_from(m);
      if (!leadership) return drop(from, *message, DropReason::kMalformed);
      const std::string* identity = identities.identity(leadership->pki_id);
      if (!identity) return drop(from, *message, DropReason::kUnknownIdentity);
      if (!crypto.verify(*identity, message->payload, message->signature))
        return drop(from, *message, DropReason::kBadSignature);
      channel->on_leadership(from, *message, *leadership);
      return;
    }
    case GossipMessage::kStateInfo: {
      const ::gossip::StateInfo& info = m.state_info();
      ChannelState* channel = channel_by_mac(info.pki_id(), info.channel_mac());
      if (!channel) return drop(from, *message, DropReason::kChannelNotJoined);
      DropReason reason{};
      if (channel->on_state_info(message, reason)) {
        channel->push_state_info(message, &from.pki_id);  // forward what was new
      } else {
        drop(from, *message, reason);
      }
      return;
    }
    case GossipMessage::kStateInfoPullReq: {
      ChannelState* channel = channel_by_mac(from.pki_id, m.state_info_pull_req().channel_mac());
      if (!channel) return drop(from, *message, DropReason::kChannelNotJoined);
      channel->answer_pull(from);
      return;
    }
    case GossipMessage::kStateSnapshot: {
      ChannelState* channel = channel_named(m.channel());
      if (!channel) return drop(from, *message, DropReason::kChannelNotJoined);
      channel->on_snapshot(from, *message);
      return;
    }
    default:
      return drop(from, *message, DropReason::kUnsupported);
  }
}

std::string describe(const Rejection& r) {
  std::string line = fmt::format("rejected {} from {} (PKI-ID {}): {}", r.message_type,
                                 r.endpoint.empty() ? "an unknown endpoint" : r.endpoint,
                                 gossip::short_id_hex(r.peer), gossip::drop_reason_name(r.reason));
  if (r.suppressed > 0)
    fmt::format_to(std::back_inserter(line), " ({} more since the last report)", r.suppressed);
  return line;
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
  Node::Impl& impl = *impl_;
  auto state = std::make_unique<ChannelState>(
      ChannelEnvironment{impl.settings, impl.scheduler, impl.crypto, *impl.discovery_,
                         impl.identities, impl.random},
      impl, def->second);
  ChannelState& ref = *state;
  if (impl.ledgers)
    if (ChannelLedger* ledger = impl.ledgers->ledger_for(channel)) ref.attach_ledger(*ledger);
  impl_->channels.emplace(channel, std::move(state));
  if (impl_->running) ref.start();
  // Fabric's JoinChan: the anchor peers of every org of the channel, mine too.
  for (const AnchorPeer& anchor : def->second.anchor_peers) {
    const discovery::AnchorContact result =
        impl.discovery_->connect_to_anchor(anchor.endpoint, anchor.org);
    if (impl.observer) impl.observer->on_anchor_peer(*this, channel, anchor, result);
  }
}

void Node::define_channel(const ChannelDefinition& definition) {
  auto [it, added] = impl_->definitions.emplace(definition.name, definition);
  if (added) return;
  auto sorted = [](std::vector<std::string> orgs) {
    std::sort(orgs.begin(), orgs.end());
    return orgs;
  };
  if (sorted(it->second.orgs) != sorted(definition.orgs))
    throw std::invalid_argument(fmt::format(
        "channel {:?} is already defined with orgs [{}]; a definition with orgs [{}] would change "
        "it, which a running peer does not do",
        definition.name, fmt::join(it->second.orgs, ", "), fmt::join(definition.orgs, ", ")));
}

void Node::on_message(const ConnectionInfo& from, const MessagePtr& message) {
  impl_->handle(from, message);
}

void Node::yield(const std::string& channel) {
  if (ChannelState* c = impl_->channel_named(channel)) c->election().yield();
}

void Node::set_ledger_provider(LedgerProvider* provider) {
  impl_->ledgers = provider;
}

void Node::on_orderer_block(const std::string& channel, std::uint64_t number,
                            const std::string& bytes) {
  ChannelState* c = impl_->channel_named(channel);
  if (c && c->blocks() && impl_->running) c->blocks()->on_orderer_block(number, bytes);
}

void Node::on_orderer_block_verified(const std::string& channel, std::uint64_t number,
                                     const std::string& bytes) {
  ChannelState* c = impl_->channel_named(channel);
  if (c && c->blocks() && impl_->running) c->blocks()->on_orderer_block_verified(number, bytes);
}

const ChannelBlocks* Node::blocks(const std::string& channel) const {
  const ChannelState* c = impl_->channel_named(channel);
  return c ? c->blocks() : nullptr;
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

std::vector<PeerId> Node::channel_peers(const std::string& channel) const {
  const ChannelState* c = impl_->channel_named(channel);
  return c ? c->peers() : std::vector<PeerId>{};
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
