#pragma once

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "discovery/discovery.h"

namespace fabnet::discovery {

// Fabric's identity pull (protocol.md §6.5, path 3): every pull_interval a peer
// sends Hello (IDENTITY_MSG) to up to pull_peer_num alive peers, asks for the
// identities it lacks from their digests, and stores the signed PeerIdentity
// messages it receives. This is how a peer that joins late learns the
// certificates it needs to verify alive messages forwarded by others.
class IdentityPull {
 public:
  IdentityPull(const SelfInfo& self, const DiscoverySettings& settings,
               runtime::Scheduler& scheduler, DiscoveryHost& host,
               gossip::IdentityStore& identities, const gossip::CryptoService& crypto,
               const Discovery& discovery, std::mt19937_64& random);
  IdentityPull(const IdentityPull&) = delete;
  IdentityPull& operator=(const IdentityPull&) = delete;

  void start();
  void stop();
  // hello, data_dig, data_req or data_update with msg_type IDENTITY_MSG.
  void handle(const ConnectionInfo& from, const MessagePtr& message);

  std::uint64_t identities_learned() const { return learned_; }
  std::uint64_t updates_rejected() const { return rejected_; }

 private:
  struct Pending {
    PeerId peer;
    TimePoint sent_at{0};
  };
  void tick();
  void on_hello(const ConnectionInfo& from, const ::gossip::GossipHello& hello);
  void on_digest(const ConnectionInfo& from, const ::gossip::DataDigest& digest);
  void on_request(const ConnectionInfo& from, const ::gossip::DataRequest& request);
  void on_update(const ConnectionInfo& from, const gossip::SignedGossip& message);
  // Whether `requester` may learn the identity of `owner` (§6.5 egress filter).
  bool may_share(const PeerId& owner, const std::string& requester_org) const;
  void send(const ConnectionInfo& to, ::gossip::GossipMessage message);
  void forget_old_nonces();

  const SelfInfo& self_;
  const DiscoverySettings& settings_;
  runtime::Scheduler& scheduler_;
  DiscoveryHost& host_;
  gossip::IdentityStore& identities_;
  const gossip::CryptoService& crypto_;
  const Discovery& discovery_;
  std::mt19937_64& random_;
  runtime::Timer timer_;
  bool running_ = false;

  std::unordered_map<PeerId, MessagePtr> signed_identities_;  // relayable PeerIdentity messages
  std::vector<PeerId> sorted_owners_;  // its keys, sorted; empty when stale (it is never empty)
  std::unordered_map<std::uint64_t, Pending> sent_hellos_;        // initiator side, by nonce
  std::unordered_map<std::uint64_t, TimePoint> answered_hellos_;  // responder side, by nonce
  std::uint64_t learned_ = 0;
  std::uint64_t rejected_ = 0;
};

}  // namespace fabnet::discovery
