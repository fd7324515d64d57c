#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "gossip/peer_id.h"

namespace fabnet::election {

using gossip::id_hex;
using gossip::id_less;
using gossip::is_newer;
using gossip::PeerId;
using gossip::PeerTime;
using gossip::short_id_hex;

// The election's view of Fabric's LeadershipMessage (proto/gossip/message.proto).
struct LeadershipMessage {
  PeerId pki_id;
  PeerTime timestamp;
  bool is_declaration = false;
};

// Stamps outgoing messages: inc_num is fixed for the instance (wall-clock ns at
// creation, supplied by the driver), seq_num is incremented before each message so
// the first carries 1 (election.md §6).
class MessageFactory {
 public:
  MessageFactory(PeerId self, std::uint64_t inc_num) : self_(std::move(self)), inc_num_(inc_num) {}
  LeadershipMessage make(bool is_declaration) {
    return LeadershipMessage{self_, PeerTime{inc_num_, ++seq_num_}, is_declaration};
  }
  std::uint64_t last_seq_num() const { return seq_num_; }

 private:
  PeerId self_;
  std::uint64_t inc_num_;
  std::uint64_t seq_num_ = 0;
};

// Drops duplicates and replays: remembers the newest PeerTime seen per sender.
class FreshnessFilter {
 public:
  // True (and remembered) if `time` is newer than anything held from `sender`.
  bool admit(const PeerId& sender, const PeerTime& time) {
    auto [it, inserted] = newest_.try_emplace(sender, time);
    if (inserted) return true;
    if (!is_newer(time, it->second)) return false;
    it->second = time;
    return true;
  }
  void forget(const PeerId& sender) { newest_.erase(sender); }
  std::size_t size() const { return newest_.size(); }

 private:
  std::unordered_map<PeerId, PeerTime> newest_;
};

}  // namespace fabnet::election
