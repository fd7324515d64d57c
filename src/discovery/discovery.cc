#include "discovery/discovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "gossip/envelope.h"
#include "runtime/check.h"

namespace fabnet::discovery {
namespace {

PeerTime peer_time_of(const ::gossip::AliveMessage& alive) {
  return PeerTime{alive.timestamp().inc_num(), alive.timestamp().seq_num()};
}

std::size_t payload_hash(const std::string& payload) {
  return std::hash<std::string_view>{}(payload);
}

// The alive message `message` carries, if it is complete enough to judge
// (protocol.md §6.4 rule 1): a membership with a pki_id, and a signature.
const ::gossip::AliveMessage* alive_content(const gossip::SignedGossip& message) {
  if (!message.message.has_alive_msg()) return nullptr;
  const ::gossip::AliveMessage& alive = message.message.alive_msg();
  if (!alive.has_membership() || alive.membership().pki_id().empty()) return nullptr;
  if (message.payload.empty() || message.signature.empty()) return nullptr;
  return &alive;
}

// Disclosure policy of membership responses (protocol.md §6.3): a requester sees
// peers of my org or of its own org, and foreign ones only if both are reachable
// from outside their org.
bool may_disclose(const std::string& my_org, const std::string& peer_org,
                  const std::string& peer_endpoint, const std::string& requester_org,
                  const std::string& requester_endpoint) {
  if (peer_org != my_org && peer_org != requester_org) return false;
  return peer_org == requester_org || (!peer_endpoint.empty() && !requester_endpoint.empty());
}

void require_positive(Duration value, std::string_view key) {
  if (value <= Duration::zero())
    throw std::invalid_argument(
        fmt::format("discovery: {} must be positive, got {}ns", key, value.count()));
}

}  // namespace

Discovery::Discovery(SelfInfo self, DiscoverySettings settings, runtime::Scheduler& scheduler,
                     DiscoveryHost& host, gossip::IdentityStore& identities,
                     const gossip::CryptoService& crypto, std::mt19937_64& random)
    : self_(std::move(self)),
      settings_(std::move(settings)),
      scheduler_(scheduler),
      host_(host),
      identities_(identities),
      crypto_(crypto),
      random_(random),
      alive_timer_(scheduler),
      expiration_timer_(scheduler),
      reconnect_timer_(scheduler),
      sync_timer_(scheduler) {
  require_positive(settings_.alive_time_interval, "alive_time_interval");
  // The expiration check runs every tenth of it.
  require_positive(settings_.alive_expiration_timeout / 10, "alive_expiration_timeout / 10");
  require_positive(settings_.reconnect_interval, "reconnect_interval");
  require_positive(settings_.pull_interval, "pull_interval");
}

Discovery::~Discovery() = default;

// A partial Fisher-Yates shuffle of alive_ itself: each pick is uniform among the
// members not yet considered, so a pick costs O(1) unless most are ineligible.
template <typename Eligible>
std::vector<const Discovery::Entry*> Discovery::pick_alive(int count, const Eligible& eligible) {
  std::vector<const Entry*> picked;
  const std::size_t wanted = count > 0 ? static_cast<std::size_t>(count) : 0;
  const std::size_t n = alive_.size();
  for (std::size_t i = 0; i < n && picked.size() < wanted; ++i) {
    const std::size_t j = std::uniform_int_distribution<std::size_t>(i, n - 1)(random_);
    std::swap(alive_[i], alive_[j]);
    alive_[i]->alive_slot = i;
    alive_[j]->alive_slot = j;
    if (eligible(alive_[i]->member)) picked.push_back(alive_[i]);
  }
  return picked;
}

// ---------------------------------------------------------------------------
// Life cycle and timers

void Discovery::start() {
  if (started_ || stopped_) return;
  started_ = true;
  started_at_ = scheduler_.now();
  for (const std::string& endpoint : settings_.bootstrap)
    if (!endpoint.empty()) bootstrap_endpoints_.insert(endpoint);
  every(alive_timer_, settings_.alive_time_interval, &Discovery::send_alive);
  every(expiration_timer_, settings_.alive_expiration_timeout / 10, &Discovery::check_expirations);
  every(reconnect_timer_, settings_.reconnect_interval, &Discovery::reconnect_to_dead);
  every(sync_timer_, settings_.pull_interval, &Discovery::sync_membership);
  contact_bootstrap_peers();
  for (const auto& [endpoint, org] : std::exchange(anchors_before_start_, {}))
    connect_to_anchor(endpoint, org);
}

void Discovery::stop() {
  if (stopped_) return;
  stopped_ = true;
  alive_timer_.cancel();
  expiration_timer_.cancel();
  reconnect_timer_.cancel();
  sync_timer_.cancel();
  contact_by_nonce_.clear();
  anchors_before_start_.clear();
}

// Fabric's loops sleep first, then act (protocol.md §6.2).
void Discovery::every(runtime::Timer& timer, Duration period, void (Discovery::*tick)()) {
  timer.arm(period, [this, &timer, period, tick] {
    every(timer, period, tick);  // re-armed first, so a tick that stops us cancels it
    (this->*tick)();
  });
}

// Nothing is sent while no one is alive (protocol.md §6.2).
void Discovery::send_alive() {
  if (alive_.empty()) return;
  latest_own_alive_ = build_own_alive();
  gossip_alive(latest_own_alive_, self_.org, self_.pki_id, counters_.alive_sent);
}

void Discovery::check_expirations() {
  const TimePoint now = scheduler_.now();
  while (!alive_by_last_seen_.empty()) {
    Entry& entry = *alive_by_last_seen_.front();
    if (now - entry.member.last_seen <= settings_.alive_expiration_timeout) break;
    mark_dead(entry);
    ++counters_.expirations;
    const PeerId id = entry.member.pki_id;
    host_.on_member_dead(id);
  }
  purge_forgotten_dead();
}

// Fabric forgets a member when its newest alive message leaves the alive-message
// store, alive_expiration_timeout x msg_expiration_factor after it was accepted.
// Bootstrap and anchor peers are kept, to be probed forever (protocol.md §6.2).
void Discovery::purge_forgotten_dead() {
  const TimePoint now = scheduler_.now();
  const Duration forget_after =
      settings_.alive_expiration_timeout * settings_.msg_expiration_factor;
  std::vector<PeerId> purged;
  for (auto it = dead_by_time_.begin(); it != dead_by_time_.end();) {
    Entry& entry = **it++;
    if (now - entry.member.last_seen <= forget_after || is_never_purged(entry.member)) continue;
    dead_by_time_.erase(entry.in_order);
    set_last_alive(entry, nullptr);
    purged.push_back(entry.member.pki_id);
    tombstones_[entry.member.pki_id] = Tombstone{entry.member.last_time, now};
    tombstones_by_time_.emplace_back(now, entry.member.pki_id);
    members_.erase(purged.back());
  }
  while (!tombstones_by_time_.empty() && now - tombstones_by_time_.front().first > forget_after) {
    const auto& [purged_at, id] = tombstones_by_time_.front();
    const auto it = tombstones_.find(id);
    if (it != tombstones_.end() && it->second.purged_at == purged_at) tombstones_.erase(it);
    tombstones_by_time_.pop_front();
  }
  for (const PeerId& id : purged) host_.on_member_purged(id);
}

bool Discovery::buried(const PeerId& peer, const PeerTime& time) {
  const auto it = tombstones_.find(peer);
  if (it == tombstones_.end()) return false;
  if (!is_newer(time, it->second.last_time)) return true;
  tombstones_.erase(it);  // the member is back with news
  return false;
}

// A send to a peer that is down simply vanishes; a live one answers with its
// membership, which resurrects it (protocol.md §6.2, the probe left to transport).
void Discovery::reconnect_to_dead() {
  if (dead_by_time_.empty()) return;
  RequestsByAudience requests;
  for (const Entry* entry : dead_by_time_) {
    send_to_member(entry->member, membership_request_for(entry->member, requests));
    ++counters_.membership_requests_sent;
  }
}

void Discovery::sync_membership() {
  const auto targets = pick_alive(settings_.pull_peer_num, [](const Member&) { return true; });
  if (targets.empty()) return;
  RequestsByAudience requests;
  for (const Entry* target : targets) {
    send_to_member(target->member, membership_request_for(target->member, requests));
    ++counters_.membership_requests_sent;
  }
}

void Discovery::contact_bootstrap_peers() {
  std::unordered_set<std::string> contacted;
  for (const std::string& endpoint : settings_.bootstrap) {
    if (endpoint.empty() || endpoint == self_.endpoint || endpoint == self_.external_endpoint)
      continue;
    if (!contacted.insert(endpoint).second) continue;
    start_contact(endpoint, /*required_org=*/self_.org, /*same_org_expected=*/true);
  }
}

AnchorContact Discovery::connect_to_anchor(const std::string& endpoint, const std::string& org) {
  if (endpoint == self_.endpoint || endpoint == self_.external_endpoint)
    return AnchorContact::kSelf;
  const bool my_org = org == self_.org;
  // A peer invisible to other orgs has nothing to tell their anchor peers.
  if (!my_org && self_.external_endpoint.empty()) return AnchorContact::kNoExternalEndpoint;
  anchor_endpoints_.insert(endpoint);
  if (stopped_) return AnchorContact::kContacting;  // nothing is sent any more
  if (!started_) {
    anchors_before_start_.emplace_back(endpoint, org);
    return AnchorContact::kContacting;
  }
  for (const auto& [nonce, contact] : contact_by_nonce_)
    if (contact->endpoint == endpoint) return AnchorContact::kAlreadyContacting;
  // An anchor of my org must prove to be of my org; one of another org may be of
  // any org, as in Fabric (only its identity decides what it is told).
  start_contact(endpoint, my_org ? self_.org : std::string(), /*same_org_expected=*/my_org);
  return AnchorContact::kContacting;
}

void Discovery::start_contact(const std::string& endpoint, const std::string& required_org,
                              bool same_org_expected) {
  std::uint64_t nonce = 0;
  while (nonce == 0 || contact_by_nonce_.contains(nonce)) nonce = random_();
  auto contact = std::make_unique<Contact>(scheduler_, endpoint);
  contact->required_org = required_org;
  // Without a deep probe nobody will tell us who answers: the request is built
  // now, for the org the configuration expects there.
  if (!host_.supports_probe())
    contact->request = build_membership_request(nonce, /*with_secret=*/same_org_expected);
  contact_by_nonce_.emplace(nonce, std::move(contact));
  send_contact_request(nonce);
}

// Resent unchanged every reconnect_interval until a response carries its nonce,
// at most max_connection_attempts times (protocol.md §6.3).
void Discovery::send_contact_request(std::uint64_t nonce) {
  auto it = contact_by_nonce_.find(nonce);
  if (it == contact_by_nonce_.end()) return;
  Contact& contact = *it->second;
  if (contact.attempts >= settings_.max_connection_attempts) {
    contact_by_nonce_.erase(it);
    return;
  }
  ++contact.attempts;
  contact.retry.arm(settings_.reconnect_interval, [this, nonce] { send_contact_request(nonce); });
  if (!host_.supports_probe()) {
    host_.send_to_endpoint(contact.endpoint, contact.request);
    ++counters_.membership_requests_sent;
    return;
  }
  if (contact.identified) {
    // Fabric's sendUntilAcked: to the PKI-ID, reusing a live connection. Sending
    // to the endpoint would dial a second stream, and Fabric's connection store
    // closes both the old and the new one (protocol.md §4.3).
    host_.send(*contact.identified, contact.endpoint, contact.request);
    ++counters_.membership_requests_sent;
    return;
  }
  // Fabric deep-probes the endpoint first and reveals nothing to a peer of the
  // wrong org (protocol.md §4.5, §6.3).
  std::weak_ptr<bool> guard = lifetime_;
  host_.probe_endpoint(contact.endpoint,
                       [this, guard, nonce](std::optional<ConnectionInfo> remote) {
                         // Unanswered: the retry timer probes again.
                         if (guard.expired() || !running() || !remote) return;
                         on_contact_probed(nonce, *remote);
                       });
}

void Discovery::on_contact_probed(std::uint64_t nonce, const ConnectionInfo& remote) {
  const auto it = contact_by_nonce_.find(nonce);
  if (it == contact_by_nonce_.end()) return;
  Contact& contact = *it->second;
  const std::string* org =
      identities_.put(remote.pki_id, remote.identity) ? identities_.org(remote.pki_id) : nullptr;
  if (!org || (!contact.required_org.empty() && *org != contact.required_org)) {
    ++counters_.invalid_dropped;
    return;
  }
  if (remote.pki_id == self_.pki_id) {  // our own endpoint under another name
    contact_by_nonce_.erase(it);
    return;
  }
  contact.identified = remote.pki_id;
  // Fabric's Connect: the internal endpoint goes along only to a peer of my org.
  contact.request = build_membership_request(nonce, /*with_secret=*/*org == self_.org);
  // The attempts left are for the request itself (Fabric's sendUntilAcked).
  contact.attempts = 1;
  host_.send(remote.pki_id, contact.endpoint, contact.request);
  ++counters_.membership_requests_sent;
}

// ---------------------------------------------------------------------------
// Inbound

void Discovery::handle(const ConnectionInfo& from, const MessagePtr& message) {
  if (!running() || !message) return;
  switch (message->message.content_case()) {
    case ::gossip::GossipMessage::kAliveMsg:
      handle_alive(from, message);
      break;
    case ::gossip::GossipMessage::kMemReq:
      handle_membership_request(from, message);
      break;
    case ::gossip::GossipMessage::kMemRes:
      handle_membership_response(from, message);
      break;
    default:
      break;
  }
}

// Accepted alive messages are forwarded; stale ones are not (protocol.md §6.4).
void Discovery::handle_alive(const ConnectionInfo& from, const MessagePtr& message) {
  ++counters_.alive_received;
  if (admit_alive(from, *message, message, /*check_signature_first=*/false) != Admission::kLearned)
    return;
  const Member& about = members_.at(message->message.alive_msg().membership().pki_id()).member;
  gossip_alive(message, about.org, from.pki_id, counters_.alive_forwarded);
}

// protocol.md §5.2 step 6 and §6.3.
void Discovery::handle_membership_request(const ConnectionInfo& from, const MessagePtr& message) {
  const MessagePtr self_information =
      gossip::from_envelope(message->message.mem_req().self_information());
  const ::gossip::AliveMessage* alive =
      self_information ? alive_content(*self_information) : nullptr;
  if (!alive) return reject(from, *message, DropReason::kMalformed);
  if (alive->membership().pki_id() != from.pki_id)
    return reject(from, *message, DropReason::kSenderMismatch);
  // Authenticated before freshness: an old but genuine self_information (a resent
  // bootstrap request) still gets an answer.
  const Admission admission =
      admit_alive(from, *message, self_information, /*check_signature_first=*/true);
  if (admission == Admission::kInvalid || admission == Admission::kAboutSelf) return;
  const std::string* requester_org = identities_.org(from.pki_id);
  const std::string& requester_endpoint = alive->membership().endpoint();
  // Fabric refuses (closes the connection) when it may not even reveal itself.
  if (!requester_org || !may_disclose(self_.org, self_.org, self_.external_endpoint, *requester_org,
                                      requester_endpoint))
    return reject(from, *message, DropReason::kNotDisclosable);
  const auto disclosable = [&](const Member& peer) {
    return may_disclose(self_.org, peer.org, peer.endpoint, *requester_org, requester_endpoint);
  };

  ::gossip::GossipMessage reply;
  reply.set_tag(::gossip::GossipMessage::EMPTY);
  reply.set_nonce(message->message.nonce());
  ::gossip::MembershipResponse& response = *reply.mutable_mem_res();
  auto outer = std::make_shared<gossip::SignedGossip>();
  outer->message = reply;  // no envelopes: `held` has them
  auto held = std::make_shared<gossip::HeldMembershipResponse>();
  // At most these many, usually all: no doubling slack while the response is in flight.
  held->alive.reserve(alive_.size() + 1);
  held->dead.reserve(dead_by_time_.size());
  // Secrets (internal endpoints) are for my org only.
  const bool same_org = *requester_org == self_.org;
  const auto add = [&](const MessagePtr& m, std::vector<MessagePtr>& to,
                       google::protobuf::RepeatedPtrField<::gossip::Envelope>& envelopes) {
    to.push_back(same_org ? m : gossip::without_secret(m));
    *envelopes.Add() = gossip::to_envelope(*to.back());
  };
  for (const Entry* entry : alive_)
    if (disclosable(entry->member))
      add(entry->member.last_alive, held->alive, *response.mutable_alive());
  // Our latest periodic alive message, as Fabric's selfAliveMessage; appended last.
  const MessagePtr own = latest_own_alive_ ? latest_own_alive_ : build_own_alive();
  add(own, held->alive, *response.mutable_alive());
  for (const Entry* entry : dead_by_time_)
    if (disclosable(entry->member))
      add(entry->member.last_alive, held->dead, *response.mutable_dead());

  // Unsigned (protocol.md §6.3); the parsed envelopes are dropped with `reply`.
  outer->payload = gossip::marshal(reply);
  outer->held_mem_res = std::move(held);
  host_.send(from.pki_id, from.endpoint, std::move(outer));
  ++counters_.membership_responses_sent;
}

// Nested alive messages are learned but not forwarded; copies identical to what
// we hold (the common case) are recognised by their bytes, without parsing.
void Discovery::handle_membership_response(const ConnectionInfo& from, const MessagePtr& message) {
  const ::gossip::GossipMessage& outer = message->message;
  // Taken whole or not at all: a list longer than any real network is an attack
  // on memory and CPU (every entry may cost a signature check).
  const std::size_t entries =
      message->held_mem_res
          ? message->held_mem_res->alive.size() + message->held_mem_res->dead.size()
          : static_cast<std::size_t>(outer.mem_res().alive_size() + outer.mem_res().dead_size());
  if (entries > settings_.max_membership_entries)
    return reject(from, *message, DropReason::kOversizeList);
  if (const auto contact =
          outer.nonce() != 0 ? contact_by_nonce_.find(outer.nonce()) : contact_by_nonce_.end();
      contact != contact_by_nonce_.end()) {
    // Bootstrap peers and my org's anchor peers must be of my org; Fabric refuses
    // the connection otherwise (protocol.md §6.3). Keep retrying: the endpoint may
    // yet be answered by the right peer.
    const std::string& required_org = contact->second->required_org;
    const std::string* responder_org = identities_.org(from.pki_id);
    if (!required_org.empty() && (!responder_org || *responder_org != required_org))
      return reject(from, *message, DropReason::kBootstrapOtherOrg);
    contact_by_nonce_.erase(contact);
  }

  if (const auto& held = message->held_mem_res) {
    for (const MessagePtr& nested : held->alive) {
      if (holder_of(nested->payload)) {
        ++counters_.stale_dropped;
        continue;
      }
      admit_alive(from, *message, nested, /*check_signature_first=*/false);
    }
    for (const MessagePtr& nested : held->dead)
      if (!holder_of(nested->payload)) record_dead(from, *message, nested);
    return;
  }
  for (const ::gossip::Envelope& envelope : outer.mem_res().alive()) {
    if (holder_of(envelope.payload())) {
      ++counters_.stale_dropped;
      continue;
    }
    const MessagePtr nested = gossip::from_envelope(envelope);
    if (!nested) {
      reject(from, *message, DropReason::kMalformed);
      continue;
    }
    admit_alive(from, *message, nested, /*check_signature_first=*/false);
  }
  for (const ::gossip::Envelope& envelope : outer.mem_res().dead()) {
    if (holder_of(envelope.payload())) continue;
    const MessagePtr nested = gossip::from_envelope(envelope);
    if (!nested) {
      reject(from, *message, DropReason::kMalformed);
      continue;
    }
    record_dead(from, *message, nested);
  }
}

// protocol.md §6.4. Unless told otherwise, freshness is checked before the
// signature, as Fabric does: most copies are duplicates, verifying them is waste.
Discovery::Admission Discovery::admit_alive(const ConnectionInfo& from,
                                            const gossip::SignedGossip& received,
                                            const MessagePtr& message, bool check_signature_first) {
  const ::gossip::AliveMessage* alive = alive_content(*message);
  if (!alive) {
    reject(from, received, DropReason::kMalformed);
    return Admission::kInvalid;
  }
  const PeerId& about = alive->membership().pki_id();
  if (about == self_.pki_id) return Admission::kAboutSelf;
  if (check_signature_first) {
    if (const auto failure = authenticity_failure(*message, *alive)) {
      reject(from, received, *failure);
      return Admission::kInvalid;
    }
  }
  const auto held = members_.find(about);
  const bool stale = held != members_.end()
                         ? !is_newer(peer_time_of(*alive), held->second.member.last_time)
                         : buried(about, peer_time_of(*alive));
  if (stale) {
    ++counters_.stale_dropped;
    return Admission::kStale;
  }
  if (!check_signature_first) {
    if (const auto failure = authenticity_failure(*message, *alive)) {
      reject(from, received, *failure);
      return Admission::kInvalid;
    }
  }
  learn(from, *alive, message);
  return Admission::kLearned;
}

// Dead entries of a membership response matter only for peers we never heard of
// (protocol.md §6.3).
void Discovery::record_dead(const ConnectionInfo& from, const gossip::SignedGossip& received,
                            const MessagePtr& message) {
  const ::gossip::AliveMessage* alive = alive_content(*message);
  if (!alive) return reject(from, received, DropReason::kMalformed);
  const PeerId& about = alive->membership().pki_id();
  if (about == self_.pki_id || members_.contains(about)) return;
  if (buried(about, peer_time_of(*alive))) return;
  if (const auto failure = authenticity_failure(*message, *alive))
    return reject(from, received, *failure);
  Entry& entry = members_[about];
  Member& member = entry.member;
  member.pki_id = about;
  const std::string* org = identities_.org(about);
  FABNET_CHECK(org != nullptr);  // authenticity_failure() stored or found its identity
  member.org = *org;
  member.endpoint = alive->membership().endpoint();
  member.last_time = peer_time_of(*alive);
  member.last_seen = member.dead_since = scheduler_.now();
  member.alive = false;
  set_last_alive(entry, message);
  entry.in_order = dead_by_time_.insert(dead_by_time_.end(), &entry);
}

// protocol.md §6.4 rules 2-3: an identity in the message is stored (it must hash
// to the claimed PKI-ID); without one, the stored identity must exist.
std::optional<DropReason> Discovery::authenticity_failure(const gossip::SignedGossip& message,
                                                          const ::gossip::AliveMessage& alive) {
  const PeerId& about = alive.membership().pki_id();
  if (!alive.identity().empty() && !identities_.put(about, alive.identity()))
    return DropReason::kUnknownIdentity;
  const std::string* identity = identities_.identity(about);
  if (!identity) return DropReason::kUnknownIdentity;
  if (!crypto_.verify(*identity, message.payload, message.signature))
    return DropReason::kBadSignature;
  if (message.has_secret() &&
      !crypto_.verify(*identity, message.secret_payload, message.secret_signature))
    return DropReason::kBadSignature;
  return std::nullopt;
}

void Discovery::reject(const ConnectionInfo& from, const gossip::SignedGossip& received,
                       DropReason reason) {
  ++counters_.invalid_dropped;
  host_.drop(from, received, reason);
}

// `alive` is fresher than anything held: learn, update or resurrect its member.
// A restarted peer (higher inc_num) simply supersedes its old self.
void Discovery::learn(const ConnectionInfo& from, const ::gossip::AliveMessage& alive,
                      const MessagePtr& message) {
  const PeerId& about = alive.membership().pki_id();
  auto [it, is_new] = members_.try_emplace(about);
  Entry& entry = it->second;
  Member& member = entry.member;
  const bool was_dead = !is_new && !member.alive;
  member.pki_id = about;
  if (const std::string* org = identities_.org(about); org && member.org != *org) {
    member.org = *org;
    ++alive_set_version_;  // views derived from alive_by_id() filter by org
  }
  member.endpoint = alive.membership().endpoint();
  if (message->has_secret()) {
    ::gossip::Secret secret;
    if (secret.ParseFromString(message->secret_payload) && !secret.internalendpoint().empty())
      member.internal_endpoint = secret.internalendpoint();
  }
  // Only my org's peers are dialled at an internal endpoint (protocol.md §6.1);
  // another org's, at the external one (Fabric's PreferredEndpoint).
  if (member.internal_endpoint.empty() && from.pki_id == about && !from.endpoint.empty() &&
      member.org == self_.org)
    member.internal_endpoint = from.endpoint;
  member.last_time = peer_time_of(alive);
  member.last_seen = scheduler_.now();
  set_last_alive(entry, message);

  if (!is_new && !was_dead) {
    alive_by_last_seen_.splice(alive_by_last_seen_.end(), alive_by_last_seen_, entry.in_order);
    return;
  }
  if (was_dead) {
    dead_by_time_.erase(entry.in_order);
    ++counters_.resurrections;
  }
  mark_alive(entry);
  const PeerId id = about;
  host_.on_member_alive(id);
}

const Discovery::Entry* Discovery::holder_of(const std::string& payload) const {
  const auto it = entry_by_payload_hash_.find(payload_hash(payload));
  if (it == entry_by_payload_hash_.end()) return nullptr;
  const Entry* entry = it->second;
  return entry->member.last_alive->payload == payload ? entry : nullptr;
}

void Discovery::set_last_alive(Entry& entry, MessagePtr message) {
  if (entry.member.last_alive) {
    const auto it = entry_by_payload_hash_.find(entry.last_alive_hash);
    if (it != entry_by_payload_hash_.end() && it->second == &entry)
      entry_by_payload_hash_.erase(it);
  }
  entry.member.last_alive = std::move(message);
  if (entry.member.last_alive) {
    entry.last_alive_hash = payload_hash(entry.member.last_alive->payload);
    entry_by_payload_hash_[entry.last_alive_hash] = &entry;
  }
}

// ---------------------------------------------------------------------------
// Outbound

// protocol.md §6.1.
MessagePtr Discovery::build_own_alive() {
  ::gossip::GossipMessage message;
  message.set_nonce(0);
  message.set_tag(::gossip::GossipMessage::EMPTY);
  ::gossip::AliveMessage& alive = *message.mutable_alive_msg();
  alive.mutable_membership()->set_endpoint(self_.external_endpoint);
  alive.mutable_membership()->set_pki_id(self_.pki_id);
  alive.mutable_timestamp()->set_inc_num(self_.inc_num);
  alive.mutable_timestamp()->set_seq_num(++seq_num_);
  if (scheduler_.now() < started_at_ + settings_.publish_cert_period)
    alive.set_identity(self_.identity);
  const MessagePtr sealed = host_.seal(std::move(message), /*sign=*/true);
  if (self_.endpoint.empty()) return sealed;
  // The internal endpoint travels in a separately signed SecretEnvelope that is
  // stripped before foreign orgs see the message (protocol.md §6.1).
  auto with_secret = std::make_shared<gossip::SignedGossip>(*sealed);
  ::gossip::Secret secret;
  secret.set_internalendpoint(self_.endpoint);
  with_secret->secret_payload = secret.SerializeAsString();
  with_secret->secret_signature = crypto_.sign(with_secret->secret_payload);
  return with_secret;
}

// protocol.md §6.3: unsigned outer message around our signed alive message.
// The self_information of a request to a foreign org carries no secret (§6.3).
const MessagePtr& Discovery::membership_request_for(const Member& target,
                                                    RequestsByAudience& requests) {
  const bool same_org = target.org == self_.org;
  MessagePtr& request = same_org ? requests.my_org : requests.foreign;
  if (!request) request = build_membership_request(0, /*with_secret=*/same_org);
  return request;
}

MessagePtr Discovery::build_membership_request(std::uint64_t nonce, bool with_secret) {
  const MessagePtr self_information =
      with_secret ? build_own_alive() : gossip::without_secret(build_own_alive());
  ::gossip::GossipMessage message;
  message.set_nonce(nonce);
  message.set_tag(::gossip::GossipMessage::EMPTY);
  *message.mutable_mem_req()->mutable_self_information() = gossip::to_envelope(*self_information);
  return host_.seal(std::move(message), /*sign=*/false);
}

// Targets of an alive message by its origin's org (protocol.md §5.3):
// - an alive of my org without external endpoint stays in my org;
// - one of my org with an external endpoint may go to anyone reachable from
//   outside (peers of foreign orgs need an external endpoint);
// - one of a foreign org goes only to my org or that org, and (Fabric's
//   sendAndFilterSecrets) only to peers with an external endpoint.
void Discovery::gossip_alive(const MessagePtr& message, const std::string& about_org,
                             const PeerId& received_from, std::uint64_t& counter) {
  const ::gossip::Member& about = message->message.alive_msg().membership();
  const bool from_my_org = about_org == self_.org;
  const bool org_only = from_my_org && about.endpoint().empty();
  const auto eligible = [&](const Member& target) {
    if (target.pki_id == received_from || target.pki_id == about.pki_id()) return false;
    const bool target_in_my_org = target.org == self_.org;
    if (org_only) return target_in_my_org;
    if (from_my_org) return target_in_my_org || !target.endpoint.empty();
    return (target_in_my_org || target.org == about_org) && !target.endpoint.empty();
  };
  for (const Entry* target : pick_alive(settings_.propagate_peer_num, eligible)) {
    send_to_member(target->member, message);
    ++counter;
  }
}

// At its preferred endpoint; the SecretEnvelope only within my org (protocol.md §6.1).
void Discovery::send_to_member(const Member& member, const MessagePtr& message) {
  host_.send(member.pki_id, member.preferred_endpoint(),
             member.org == self_.org ? message : gossip::without_secret(message));
}

// ---------------------------------------------------------------------------
// Bookkeeping

namespace {
bool pki_id_less(const Member* a, const Member* b) {
  return a->pki_id < b->pki_id;
}
}  // namespace

void Discovery::mark_alive(Entry& entry) {
  entry.member.alive = true;
  entry.alive_slot = alive_.size();
  alive_.push_back(&entry);
  alive_by_id_.insert(
      std::lower_bound(alive_by_id_.begin(), alive_by_id_.end(), &entry.member, pki_id_less),
      &entry.member);
  ++alive_set_version_;
  entry.in_order = alive_by_last_seen_.insert(alive_by_last_seen_.end(), &entry);
}

void Discovery::mark_dead(Entry& entry) {
  Entry* last = alive_.back();
  alive_[entry.alive_slot] = last;
  last->alive_slot = entry.alive_slot;
  alive_.pop_back();
  alive_by_id_.erase(
      std::lower_bound(alive_by_id_.begin(), alive_by_id_.end(), &entry.member, pki_id_less));
  ++alive_set_version_;
  dead_by_time_.splice(dead_by_time_.end(), alive_by_last_seen_, entry.in_order);
  entry.member.alive = false;
  entry.member.dead_since = scheduler_.now();
}

bool Discovery::is_never_purged(const Member& member) const {
  for (const auto* endpoints : {&bootstrap_endpoints_, &anchor_endpoints_})
    if (endpoints->contains(member.endpoint) || endpoints->contains(member.internal_endpoint))
      return true;
  return false;
}

// ---------------------------------------------------------------------------
// Queries

bool Discovery::is_alive(const PeerId& peer) const {
  const auto it = members_.find(peer);
  return it != members_.end() && it->second.member.alive;
}

const Member* Discovery::member(const PeerId& peer) const {
  const auto it = members_.find(peer);
  return it == members_.end() ? nullptr : &it->second.member;
}

std::size_t Discovery::alive_count() const {
  return alive_.size();
}

std::vector<PeerId> Discovery::alive_members() const {
  std::vector<PeerId> ids;
  ids.reserve(alive_.size());
  for (const Entry* entry : alive_) ids.push_back(entry->member.pki_id);
  return ids;
}

void Discovery::for_each_alive(const std::function<void(const Member&)>& visit) const {
  for (const Entry* entry : alive_) visit(entry->member);
}

}  // namespace fabnet::discovery
