#pragma once

#include <unordered_map>

#include "election/message.h"
#include "runtime/scheduler.h"

namespace fabnet::node {

// The per-channel leadership message store of protocol.md §8: a message is
// taken only if it is newer (by PeerTime) than the one held from the same
// creator. Held messages expire after `ttl` (leaderAliveThreshold x 10) but keep
// taking part in comparisons until they are removed at 2 x ttl.
class LeadershipStore {
 public:
  explicit LeadershipStore(runtime::Duration ttl) : ttl_(ttl) {}

  // True (and remembered) if `time` is newer than what is held from `creator`.
  bool admit(const gossip::PeerId& creator, const election::PeerTime& time,
             runtime::TimePoint now) {
    auto [it, is_new] = held_.try_emplace(creator);
    // A held message past 2 x ttl no longer counts: it would have been removed.
    if (!is_new && now - it->second.stored_at < 2 * ttl_ &&
        !election::is_newer(time, it->second.time))
      return false;
    it->second = {time, now};
    return true;
  }
  // Removes entries past 2 x ttl, so the store does not grow with departed peers.
  void sweep(runtime::TimePoint now) {
    std::erase_if(held_, [&](const auto& e) { return now - e.second.stored_at >= 2 * ttl_; });
  }
  std::size_t size() const { return held_.size(); }

 private:
  struct Held {
    election::PeerTime time;
    runtime::TimePoint stored_at{0};
  };
  runtime::Duration ttl_;
  std::unordered_map<gossip::PeerId, Held> held_;
};

// The leader a follower believes in: the creator of the newest declaration it
// accepted from a peer in its view, for 2 x leaderAliveThreshold after it came.
class DeclaredLeader {
 public:
  explicit DeclaredLeader(runtime::Duration leader_alive_threshold)
      : valid_for_(2 * leader_alive_threshold) {}

  void declared(const gossip::PeerId& creator, runtime::TimePoint now) {
    creator_ = creator;
    at_ = now;
  }
  // nullptr if no declaration was accepted within the last 2 x LAT.
  const gossip::PeerId* at(runtime::TimePoint now) const {
    if (creator_.empty() || now - at_ > valid_for_) return nullptr;
    return &creator_;
  }

 private:
  runtime::Duration valid_for_;
  gossip::PeerId creator_;
  runtime::TimePoint at_{0};
};

}  // namespace fabnet::node
