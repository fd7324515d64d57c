#pragma once

// A small in-test network for discovery: N Discovery instances in virtual time,
// each behind a fake host that delivers to the target's Discovery::handle after
// a fixed delay, and a fake crypto service with readable identities and
// signatures. The node tests can reuse the fakes.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/openssl_handles.h"
#include "discovery/discovery.h"
#include "msp/identities.pb.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::testing {

using discovery::Discovery;
using discovery::DiscoverySettings;
using discovery::SelfInfo;
using gossip::ConnectionInfo;
using gossip::MessagePtr;
using gossip::PeerId;
using gossip::PeerTime;
using gossip::SignedGossip;
using runtime::Duration;
using runtime::TimePoint;

// Serialized msp.SerializedIdentity{mspid = org, id_bytes = name}.
inline std::string fake_identity(const std::string& org, const std::string& name) {
  msp::SerializedIdentity identity;
  identity.set_mspid(org);
  identity.set_id_bytes(name);
  return identity.SerializeAsString();
}

inline std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

inline std::string fake_signature(std::string_view signer, std::string_view payload) {
  return "sig:" + std::string(signer) + ":" + std::to_string(fnv1a(payload));
}

// PKI-ID = id_bytes (the name); org = mspid; a signature names its signer and a
// hash of the payload, so it verifies only for that signer and those bytes.
class FakeCrypto final : public gossip::CryptoService {
 public:
  explicit FakeCrypto(PeerId signer = {}) : signer_(std::move(signer)) {}

  std::optional<PeerId> pki_id_of(std::string_view identity) const override {
    msp::SerializedIdentity parsed;
    if (!parsed.ParseFromString(std::string(identity)) || parsed.id_bytes().empty())
      return std::nullopt;
    return parsed.id_bytes();
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    msp::SerializedIdentity parsed;
    if (!parsed.ParseFromString(std::string(identity)) || parsed.mspid().empty())
      return std::nullopt;
    return parsed.mspid();
  }
  std::string sign(std::string_view payload) const override {
    return fake_signature(signer_, payload);
  }
  bool verify(std::string_view identity, std::string_view payload,
              std::string_view signature) const override {
    const auto signer = pki_id_of(identity);
    return signer && signature == fake_signature(*signer, payload);
  }
  std::string hash(std::string_view data) const override { return crypto::detail::sha256(data); }

 private:
  PeerId signer_;
};

// What DiscoveryHost::seal does in a node: marshal, then sign if asked.
inline MessagePtr seal_with(const gossip::CryptoService& crypto, ::gossip::GossipMessage message,
                            bool sign) {
  auto sealed = std::make_shared<SignedGossip>();
  sealed->payload = message.SerializeAsString();
  if (sign) sealed->signature = crypto.sign(sealed->payload);
  sealed->message = std::move(message);
  return sealed;
}

// A signed alive message about `name`, built by hand (replays, forgeries).
inline MessagePtr make_alive(const gossip::CryptoService& signer, const PeerId& name,
                             const std::string& endpoint, PeerTime time,
                             const std::string& identity = {}) {
  ::gossip::GossipMessage message;
  message.set_tag(::gossip::GossipMessage::EMPTY);
  ::gossip::AliveMessage& alive = *message.mutable_alive_msg();
  alive.mutable_membership()->set_endpoint(endpoint);
  alive.mutable_membership()->set_pki_id(name);
  alive.mutable_timestamp()->set_inc_num(time.inc_num);
  alive.mutable_timestamp()->set_seq_num(time.seq_num);
  alive.set_identity(identity);
  return seal_with(signer, std::move(message), true);
}

inline MessagePtr make_membership_request(const MessagePtr& self_alive, std::uint64_t nonce) {
  ::gossip::GossipMessage message;
  message.set_tag(::gossip::GossipMessage::EMPTY);
  message.set_nonce(nonce);
  ::gossip::Envelope& envelope = *message.mutable_mem_req()->mutable_self_information();
  envelope.set_payload(self_alive->payload);
  envelope.set_signature(self_alive->signature);
  return seal_with(FakeCrypto(), std::move(message), false);
}

inline std::string endpoint_of(const PeerId& name) {
  return name + ":7051";
}

// The PKI-IDs an alive/mem_res message is about, in order (own first for alive).
inline std::vector<PeerId> pki_ids_in(
    const google::protobuf::RepeatedPtrField<::gossip::Envelope>& list) {
  std::vector<PeerId> ids;
  for (const ::gossip::Envelope& envelope : list) {
    ::gossip::GossipMessage nested;
    if (nested.ParseFromString(envelope.payload()))
      ids.push_back(nested.alive_msg().membership().pki_id());
  }
  return ids;
}

struct SentMessage {
  TimePoint at;
  PeerId from;
  PeerId to;  // "" for send_to_endpoint
  std::string endpoint;
  MessagePtr message;
};

enum class MemberEventKind { kAlive, kDead, kPurged };
struct MemberEvent {
  TimePoint at;
  MemberEventKind kind;
  PeerId peer;
};

class TestNetwork;

struct PeerOptions {
  PeerId name;
  std::string org = "Org1MSP";
  bool external = true;  // external endpoint = internal endpoint, else ""
  std::uint64_t inc_num = 1000;
  std::uint64_t seed = 1;
  DiscoverySettings settings;
};

// One peer process: its own identity store, crypto, random source and host.
class TestPeer final : public discovery::DiscoveryHost {
 public:
  TestPeer(TestNetwork& network, const PeerOptions& options);

  void send(const PeerId& to, const std::string& endpoint, MessagePtr message) override;
  void send_to_endpoint(const std::string& endpoint, MessagePtr message) override;
  bool supports_probe() const override;
  void probe_endpoint(const std::string& endpoint,
                      std::function<void(std::optional<ConnectionInfo>)> done) override;
  MessagePtr seal(::gossip::GossipMessage message, bool sign) override {
    return seal_with(crypto, std::move(message), sign);
  }
  void on_member_alive(const PeerId& peer) override { record(MemberEventKind::kAlive, peer); }
  void on_member_dead(const PeerId& peer) override { record(MemberEventKind::kDead, peer); }
  void on_member_purged(const PeerId& peer) override { record(MemberEventKind::kPurged, peer); }

  std::vector<MemberEvent> events_about(const PeerId& peer, MemberEventKind kind) const {
    std::vector<MemberEvent> found;
    for (const MemberEvent& e : events)
      if (e.peer == peer && e.kind == kind) found.push_back(e);
    return found;
  }
  ConnectionInfo connection() const {
    return ConnectionInfo{self.pki_id, self.identity, self.endpoint};
  }

  TestNetwork& network;
  SelfInfo self;
  FakeCrypto crypto;
  gossip::IdentityStore identities;
  std::mt19937_64 random;
  std::unique_ptr<Discovery> discovery;
  bool up = false;
  bool cut_off = false;  // running, but partitioned from everyone
  std::vector<MemberEvent> events;

 private:
  void record(MemberEventKind kind, const PeerId& peer);
};

class TestNetwork {
 public:
  explicit TestNetwork(runtime::VirtualScheduler& scheduler,
                       Duration delay = std::chrono::milliseconds(1))
      : scheduler_(scheduler), delay_(delay) {}

  TestPeer& add(const PeerOptions& options) {
    auto& slot = peers_[options.name];
    options_[options.name] = options;
    slot = std::make_unique<TestPeer>(*this, options);
    return *slot;
  }
  void start(const PeerId& name) {
    TestPeer& p = peer(name);
    p.up = true;
    p.discovery->start();
  }
  // The process dies: it stops sending, and what is sent to it vanishes.
  void stop(const PeerId& name) {
    TestPeer& p = peer(name);
    p.up = false;
    p.discovery->stop();
  }
  // A new process for the same identity: fresh state, a later inc_num.
  TestPeer& restart(const PeerId& name, std::uint64_t inc_num) {
    stop(name);
    PeerOptions options = options_.at(name);
    options.inc_num = inc_num;
    options.seed += 7919;
    TestPeer& p = add(options);
    start(name);
    return p;
  }

  TestPeer& peer(const PeerId& name) { return *peers_.at(name); }
  std::vector<TestPeer*> peers() {
    std::vector<TestPeer*> all;
    for (auto& [name, p] : peers_) all.push_back(p.get());
    return all;
  }
  Discovery& discovery(const PeerId& name) { return *peer(name).discovery; }
  TestPeer* find_by_endpoint(const std::string& endpoint) {
    for (auto& [name, p] : peers_)
      if (p->self.endpoint == endpoint) return p.get();
    return nullptr;
  }

  // Delivery after the network delay; dropped if the target is down or unknown,
  // or either side is cut off.
  void deliver(const TestPeer& sender, const PeerId& to, const MessagePtr& message) {
    if (sender.cut_off) return;
    scheduler_.schedule(delay_, [this, from = sender.connection(), to, message] {
      auto it = peers_.find(to);
      if (it == peers_.end() || !it->second->up || it->second->cut_off) return;
      TestPeer& target = *it->second;
      // The handshake authenticates the sender (protocol.md §6.5 path 1).
      if (handshake_learns_identity) target.identities.put(from.pki_id, from.identity);
      target.discovery->handle(from, message);
    });
  }

  runtime::VirtualScheduler& scheduler() { return scheduler_; }
  bool handshake_learns_identity = true;
  bool deep_probe = false;  // hosts answer probe_endpoint (the daemon's transport does)
  std::vector<SentMessage> log;

 private:
  runtime::VirtualScheduler& scheduler_;
  Duration delay_;
  std::map<PeerId, std::unique_ptr<TestPeer>> peers_;
  std::map<PeerId, PeerOptions> options_;
};

inline TestPeer::TestPeer(TestNetwork& net, const PeerOptions& options)
    : network(net), crypto(options.name), identities(crypto), random(options.seed) {
  self.pki_id = options.name;
  self.org = options.org;
  self.identity = fake_identity(options.org, options.name);
  self.endpoint = endpoint_of(options.name);
  self.external_endpoint = options.external ? self.endpoint : "";
  self.inc_num = options.inc_num;
  discovery = std::make_unique<Discovery>(self, options.settings, net.scheduler(), *this,
                                          identities, crypto, random);
}

inline void TestPeer::send(const PeerId& to, const std::string& endpoint, MessagePtr message) {
  network.log.push_back({network.scheduler().now(), self.pki_id, to, endpoint, message});
  network.deliver(*this, to, message);
}

inline void TestPeer::send_to_endpoint(const std::string& endpoint, MessagePtr message) {
  network.log.push_back({network.scheduler().now(), self.pki_id, "", endpoint, message});
  if (TestPeer* target = network.find_by_endpoint(endpoint))
    network.deliver(*this, target->self.pki_id, message);
}

inline bool TestPeer::supports_probe() const {
  return network.deep_probe;
}

// Answers after the network delay with whoever is up at that endpoint.
inline void TestPeer::probe_endpoint(const std::string& endpoint,
                                     std::function<void(std::optional<ConnectionInfo>)> done) {
  TestPeer* target = network.find_by_endpoint(endpoint);
  std::optional<ConnectionInfo> remote;
  if (target && target->up && !target->cut_off && !cut_off) remote = target->connection();
  network.scheduler().schedule(std::chrono::milliseconds(2),
                               [done = std::move(done), remote] { done(remote); });
}

inline void TestPeer::record(MemberEventKind kind, const PeerId& peer) {
  events.push_back({network.scheduler().now(), kind, peer});
}

}  // namespace fabnet::testing
