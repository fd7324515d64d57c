#pragma once

#include <cstddef>

#include "election/message.h"

namespace fabnet::election {

// Everything an election instance needs from the rest of its node, for one
// (channel, org). Mirrors the adapter split of Fabric's gossip/election.
class ElectionAdapter {
 public:
  virtual ~ElectionAdapter() = default;

  // Sends to every alive peer of the same channel and org. Must not deliver
  // synchronously into another instance (delivery goes through the scheduler or a transport).
  virtual void gossip(const LeadershipMessage& message) = 0;
  // Stamps a new message with this peer's ID and the next PeerTime (§6).
  virtual LeadershipMessage create_message(bool is_declaration) = 0;
  // Whether `peer` is in the current alive view of this channel and org. O(1).
  virtual bool is_in_view(const PeerId& peer) const = 0;
  // Size of that view (self excluded).
  virtual std::size_t view_size() const = 0;
  // Fabric's gauge gossip_leader_election_leader: 1 while leader, 0 otherwise.
  virtual void report_leader_metric(bool is_leader) = 0;
};

}  // namespace fabnet::election
