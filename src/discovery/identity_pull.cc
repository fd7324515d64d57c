#include "discovery/identity_pull.h"

#include <algorithm>

#include "gossip/envelope.h"

namespace fabnet::discovery {

namespace {

// Fabric's pull timings (protocol.md §10.3; the identity pull uses the same engine).
constexpr Duration kDigestWaitTime = std::chrono::seconds(1);
constexpr Duration kRequestWaitTime = std::chrono::milliseconds(1500);
constexpr Duration kResponseWaitTime = std::chrono::seconds(2);

::gossip::GossipMessage pull_message() {
  ::gossip::GossipMessage m;
  m.set_tag(::gossip::GossipMessage::EMPTY);  // identity pull travels untagged (§5.1)
  return m;
}

}  // namespace

IdentityPull::IdentityPull(const SelfInfo& self, const DiscoverySettings& settings,
                           runtime::Scheduler& scheduler, DiscoveryHost& host,
                           gossip::IdentityStore& identities, const gossip::CryptoService& crypto,
                           const Discovery& discovery, std::mt19937_64& random)
    : self_(self),
      settings_(settings),
      scheduler_(scheduler),
      host_(host),
      identities_(identities),
      crypto_(crypto),
      discovery_(discovery),
      random_(random),
      timer_(scheduler) {}

void IdentityPull::start() {
  if (running_) return;
  running_ = true;
  // Our own identity, signed by us: what others relay on our behalf.
  ::gossip::GossipMessage own = pull_message();
  own.mutable_peer_identity()->set_pki_id(self_.pki_id);
  own.mutable_peer_identity()->set_cert(self_.identity);
  signed_identities_[self_.pki_id] = host_.seal(std::move(own), /*sign=*/true);
  sorted_owners_.clear();
  timer_.arm(settings_.pull_interval, [this] { tick(); });
}

void IdentityPull::stop() {
  running_ = false;
  timer_.cancel();
}

void IdentityPull::tick() {
  timer_.arm(settings_.pull_interval, [this] { tick(); });
  forget_old_nonces();
  // Sorted, so the draw is deterministic. Sending does not change membership, so
  // the members stay valid meanwhile.
  std::vector<const Member*> candidates = discovery_.alive_by_id();
  const std::size_t k =
      std::min(candidates.size(), static_cast<std::size_t>(std::max(0, settings_.pull_peer_num)));
  for (std::size_t i = 0; i < k; ++i) {
    std::uniform_int_distribution<std::size_t> pick(i, candidates.size() - 1);
    std::swap(candidates[i], candidates[pick(random_)]);
    const Member* member = candidates[i];
    std::uint64_t nonce = 0;
    while (nonce == 0 || sent_hellos_.contains(nonce)) nonce = random_();
    sent_hellos_[nonce] = {member->pki_id, scheduler_.now()};
    ::gossip::GossipMessage hello = pull_message();
    hello.mutable_hello()->set_nonce(nonce);
    hello.mutable_hello()->set_msg_type(::gossip::IDENTITY_MSG);
    send({member->pki_id, "", member->preferred_endpoint()}, std::move(hello));
  }
}

void IdentityPull::forget_old_nonces() {
  const TimePoint now = scheduler_.now();
  std::erase_if(sent_hellos_, [&](const auto& entry) {
    return now - entry.second.sent_at > kDigestWaitTime + kResponseWaitTime;
  });
  std::erase_if(answered_hellos_, [&](const auto& entry) { return now > entry.second; });
}

void IdentityPull::handle(const ConnectionInfo& from, const MessagePtr& message) {
  if (!running_) return;
  const ::gossip::GossipMessage& m = message->message;
  switch (m.content_case()) {
    case ::gossip::GossipMessage::kHello:
      return on_hello(from, m.hello());
    case ::gossip::GossipMessage::kDataDig:
      return on_digest(from, m.data_dig());
    case ::gossip::GossipMessage::kDataReq:
      return on_request(from, m.data_req());
    case ::gossip::GossipMessage::kDataUpdate:
      return on_update(from, *message);
    default:
      return;
  }
}

bool IdentityPull::may_share(const PeerId& owner, const std::string& requester_org) const {
  if (requester_org == self_.org) return true;  // my org learns every identity I hold
  const std::string* owner_org = identities_.org(owner);
  if (!owner_org || (*owner_org != self_.org && *owner_org != requester_org)) return false;
  if (owner == self_.pki_id) return !self_.external_endpoint.empty();
  const Member* member = discovery_.member(owner);
  return member && !member->endpoint.empty();
}

void IdentityPull::on_hello(const ConnectionInfo& from, const ::gossip::GossipHello& hello) {
  const std::string* requester_org = identities_.org(from.pki_id);
  if (!requester_org) return;
  ::gossip::GossipMessage reply = pull_message();
  ::gossip::DataDigest& digest = *reply.mutable_data_dig();
  digest.set_nonce(hello.nonce());
  digest.set_msg_type(::gossip::IDENTITY_MSG);
  // My org may have every identity: the digest is all of them, sorted once per change.
  const bool share_all = *requester_org == self_.org;
  if (share_all && sorted_owners_.empty()) {
    for (const auto& [owner, envelope] : signed_identities_) sorted_owners_.push_back(owner);
    std::sort(sorted_owners_.begin(), sorted_owners_.end());
  }
  std::vector<PeerId> filtered;
  if (!share_all) {
    for (const auto& [owner, envelope] : signed_identities_)
      if (may_share(owner, *requester_org)) filtered.push_back(owner);
    std::sort(filtered.begin(), filtered.end());
  }
  const std::vector<PeerId>& owners = share_all ? sorted_owners_ : filtered;
  if (owners.empty()) return;
  for (const PeerId& owner : owners) digest.add_digests(owner);
  answered_hellos_[hello.nonce()] = scheduler_.now() + kRequestWaitTime;
  send(from, std::move(reply));
}

void IdentityPull::on_digest(const ConnectionInfo& from, const ::gossip::DataDigest& digest) {
  const auto it = sent_hellos_.find(digest.nonce());
  if (it == sent_hellos_.end() || it->second.peer != from.pki_id) return;
  if (scheduler_.now() - it->second.sent_at > kDigestWaitTime) return;
  ::gossip::GossipMessage request = pull_message();
  ::gossip::DataRequest& wanted = *request.mutable_data_req();
  wanted.set_nonce(digest.nonce());
  wanted.set_msg_type(::gossip::IDENTITY_MSG);
  for (const std::string& owner : digest.digests())
    // Like Fabric's pull store: fetch every signed identity we cannot relay yet,
    // even one we already know from a handshake, so that late joiners can get it from us.
    if (!signed_identities_.contains(owner)) wanted.add_digests(owner);
  if (wanted.digests_size() == 0) return;
  send(from, std::move(request));
}

void IdentityPull::on_request(const ConnectionInfo& from, const ::gossip::DataRequest& request) {
  const auto it = answered_hellos_.find(request.nonce());
  if (it == answered_hellos_.end() || scheduler_.now() > it->second) return;
  const std::string* requester_org = identities_.org(from.pki_id);
  if (!requester_org) return;
  ::gossip::GossipMessage reply = pull_message();
  ::gossip::DataUpdate& update = *reply.mutable_data_update();
  update.set_nonce(request.nonce());
  update.set_msg_type(::gossip::IDENTITY_MSG);
  for (const std::string& owner : request.digests()) {
    const auto found = signed_identities_.find(owner);
    if (found != signed_identities_.end() && may_share(owner, *requester_org))
      *update.add_data() = gossip::to_envelope(*found->second);
  }
  if (update.data_size() == 0) return;
  send(from, std::move(reply));
}

// An update is taken whole or not at all (protocol.md §6.5).
void IdentityPull::on_update(const ConnectionInfo& from, const gossip::SignedGossip& message) {
  const ::gossip::DataUpdate& update = message.message.data_update();
  const auto it = sent_hellos_.find(update.nonce());
  if (it == sent_hellos_.end() || it->second.peer != from.pki_id) return;
  const auto reject = [&](DropReason reason) {
    ++rejected_;
    host_.drop(from, message, reason);
  };
  // More entries than any real network has: refused before a signature is checked.
  if (static_cast<std::size_t>(update.data_size()) > settings_.max_identity_pull_entries)
    return reject(DropReason::kOversizeList);
  std::vector<std::pair<PeerId, MessagePtr>> accepted;
  for (const ::gossip::Envelope& element : update.data()) {
    const MessagePtr parsed = gossip::from_envelope(element);
    const std::optional<DropReason> failure = [&]() -> std::optional<DropReason> {
      if (!parsed || !parsed->message.has_peer_identity()) return DropReason::kMalformed;
      const ::gossip::PeerIdentity& id = parsed->message.peer_identity();
      const auto computed = crypto_.pki_id_of(id.cert());
      if (!computed || *computed != id.pki_id()) return DropReason::kUnknownIdentity;
      if (!crypto_.verify(id.cert(), parsed->payload, parsed->signature))
        return DropReason::kBadSignature;
      return std::nullopt;
    }();
    if (failure) return reject(*failure);
    accepted.emplace_back(parsed->message.peer_identity().pki_id(), parsed);
  }
  for (auto& [owner, envelope] : accepted) {
    if (owner == self_.pki_id) continue;
    const bool known = identities_.identity(owner) != nullptr;
    if (!identities_.put(owner, envelope->message.peer_identity().cert())) continue;
    if (!known) ++learned_;
    if (signed_identities_.try_emplace(owner, std::move(envelope)).second) sorted_owners_.clear();
  }
}

void IdentityPull::send(const ConnectionInfo& to, ::gossip::GossipMessage message) {
  host_.send(to.pki_id, to.endpoint, host_.seal(std::move(message), /*sign=*/false));
}

}  // namespace fabnet::discovery
