#pragma once

// The peer of the idealised membership model (`membership: ideal`): only the
// elections run, and each peer's view of its (channel, org) comes from the
// simulator's ground truth instead of Fabric's alive/StateInfo gossip. The
// elections are the same LeaderElection code; their leadership messages are real
// signed GossipMessages that travel through the simulated network, so latency,
// loss, partitions, pauses and clock skew act on them as in the full model.
// It lets election studies run at sizes whose Fabric membership traffic (O(n²))
// is out of reach (docs/scenario-format.md, "Membership models").

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "election/election_config.h"
#include "gossip/crypto.h"
#include "node/transport.h"
#include "runtime/scheduler.h"
#include "sim/sim_peer.h"

namespace fabnet::sim {

// Who a peer sees in one of its groups, answered from the simulator's ground
// truth: the group's other members that are up and whose messages reach it
// (one way is enough: that is how alive messages make a peer known).
// Peers are the simulator's indices; `self` is the asking peer's.
class GroupView {
 public:
  virtual ~GroupView() = default;
  virtual bool is_member(std::size_t group, const gossip::PeerId& peer) const = 0;
  // The position of `peer` among the group's members (0 .. group_size - 1).
  virtual std::optional<std::size_t> member_position(std::size_t group,
                                                     const gossip::PeerId& peer) const = 0;
  virtual std::size_t group_size(std::size_t group) const = 0;
  virtual bool sees(std::size_t self, std::size_t group, const gossip::PeerId& peer) const = 0;
  virtual std::size_t seen_count(std::size_t self, std::size_t group) const = 0;
  // Calls `visit(pki_id, endpoint)` for every member `self` sees.
  virtual void for_each_seen(
      std::size_t self, std::size_t group,
      const std::function<void(const gossip::PeerId&, const std::string&)>& visit) const = 0;
};

struct ElectionPeerSettings {
  gossip::PeerId pki_id;
  std::size_t index = 0;  // in the GroupView
  std::string org;        // MSP ID
  election::ElectionTimings timings;
  election::LeaderMode mode = election::LeaderMode::kDynamic;
  // Joined channels and the index of this peer's (channel, org) group in the GroupView.
  std::map<std::string, std::size_t> groups;
  std::uint64_t wall_clock_ns_at_start = 0;  // stamps inc_num, as a process start would
};

class ElectionPeer final : public SimPeer {
 public:
  ElectionPeer(ElectionPeerSettings settings, runtime::Scheduler& scheduler,
               node::Transport& transport, const gossip::CryptoService& crypto,
               const GroupView& view, SimPeerEvents& events);
  ~ElectionPeer() override;
  ElectionPeer(const ElectionPeer&) = delete;
  ElectionPeer& operator=(const ElectionPeer&) = delete;

  void start() override;
  void on_message(const gossip::ConnectionInfo& from, const gossip::MessagePtr& message) override;
  const gossip::PeerId& id() const override { return settings_.pki_id; }
  const election::LeaderElection* election(const std::string& channel) const override;
  const gossip::PeerId* believed_leader(const std::string& channel) const override;

 private:
  class Channel;
  void drop(const gossip::SignedGossip& message, std::string_view reason) {
    events_.on_drop(message, reason);
  }

  ElectionPeerSettings settings_;
  runtime::Scheduler& scheduler_;
  node::Transport& transport_;
  const gossip::CryptoService& crypto_;
  const GroupView& view_;
  SimPeerEvents& events_;
  std::map<std::string, std::unique_ptr<Channel>> channels_;
  runtime::Timer start_timer_;  // after channels_: cancelled before they go
};

}  // namespace fabnet::sim
