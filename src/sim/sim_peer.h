#pragma once

// The running logic of one simulated peer, as the simulator and its network see
// it. Two implementations: the full node (src/node: Fabric's membership,
// StateInfo, routing and the elections) and the election-level peer of the
// idealised membership model (sim/election_peer.h).

#include <string>
#include <string_view>

#include "election/leader_election.h"
#include "gossip/message.h"

namespace fabnet::sim {

class SimPeer {
 public:
  virtual ~SimPeer() = default;
  virtual void start() = 0;
  // An inbound message on an authenticated connection.
  virtual void on_message(const gossip::ConnectionInfo& from,
                          const gossip::MessagePtr& message) = 0;
  virtual const gossip::PeerId& id() const = 0;
  // nullptr for a channel this peer did not join.
  virtual const election::LeaderElection* election(const std::string& channel) const = 0;
  // Who this peer believes leads its org on `channel` (itself while leader, else the
  // sender of the newest declaration accepted within 2 x LAT); nullptr if none.
  virtual const gossip::PeerId* believed_leader(const std::string& channel) const = 0;
};

// What a peer reports to the simulator, whichever implementation it is.
class SimPeerEvents {
 public:
  virtual ~SimPeerEvents() = default;
  virtual void on_leadership_change(const std::string& channel, bool is_leader) = 0;
  virtual void on_election_event(const std::string& channel, election::ElectionEvent event) = 0;
  virtual void on_drop(const gossip::SignedGossip& message, std::string_view reason) = 0;
};

}  // namespace fabnet::sim
