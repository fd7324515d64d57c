#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "election/leader_election.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::sim {

using election::PeerId;
using runtime::Duration;
using runtime::TimePoint;

struct ClusterOptions {
  std::string channel = "mychannel";
  std::string org = "Org1MSP";
  election::ElectionTimings timings;
  Duration message_delay = std::chrono::milliseconds(1);
  Duration message_jitter = Duration::zero();  // uniform extra delay in [0, jitter]
  std::uint64_t seed = 1;
  // Stands for the wall clock at virtual time 0 when stamping inc_num.
  std::uint64_t wall_clock_epoch_ns = 1'700'000'000'000'000'000ULL;
};

struct LeadershipChange {
  TimePoint at;
  PeerId peer;
  bool is_leader;
};

// The peers of one (channel, org) running their elections on a shared virtual
// clock, with an idealised membership: each peer's alive view is the set of
// peers on its side of any partition that have not crashed. Messages take
// message_delay (+ jitter) and go through a per-receiver freshness filter.
// The scheduler must not run after the cluster is destroyed.
class ElectionCluster {
 public:
  using EventObserver = std::function<void(TimePoint, const PeerId&, election::ElectionEvent)>;

  ElectionCluster(runtime::VirtualScheduler& scheduler, ClusterOptions options);
  ~ElectionCluster();
  ElectionCluster(const ElectionCluster&) = delete;
  ElectionCluster& operator=(const ElectionCluster&) = delete;

  // Adds a peer that everyone can see from now on; it runs once started.
  void add_peer(const PeerId& id, election::LeaderMode mode = election::LeaderMode::kDynamic);
  void start(const PeerId& id);
  void start_all();
  // Graceful stop: the instance stops but stays in the others' views.
  void stop(const PeerId& id);
  void stop_all();
  // The process dies: its instance stops and it leaves every view at once.
  void crash(const PeerId& id);
  // A crashed peer comes back with a fresh instance (new inc_num) and starts.
  void restart(const PeerId& id);
  void yield(const PeerId& id);
  // Delivers `message` to `to` after the usual delay, through its freshness
  // filter, as if gossiped: tests inject duplicates and replays with it.
  void inject(const PeerId& to, const election::LeadershipMessage& message);
  // The newest message `id` gossiped (nullptr if none yet).
  const election::LeadershipMessage* last_gossiped(const PeerId& id) const;
  // Each listed side sees only itself; unlisted peers form one more side.
  void partition(const std::vector<std::vector<PeerId>>& sides);
  void heal();

  election::LeaderElection& election(const PeerId& id);
  const election::LeaderElection& election(const PeerId& id) const;
  const std::vector<PeerId>& peer_ids() const { return order_; }
  // Running (started, not stopped) peers that lead, in insertion order.
  std::vector<PeerId> leaders() const;
  // Leadership callbacks of one peer, in order.
  const std::vector<bool>& callbacks(const PeerId& id) const;
  // Metric reports of one peer (gossip_leader_election_leader), in order.
  const std::vector<bool>& metric_reports(const PeerId& id) const;
  const std::vector<LeadershipChange>& changes() const { return changes_; }
  std::uint64_t messages_sent() const { return messages_sent_; }
  std::uint64_t messages_delivered() const { return messages_delivered_; }
  std::uint64_t messages_dropped_stale() const { return messages_dropped_stale_; }
  const ClusterOptions& options() const { return options_; }

  // Instance invariants plus cluster ones (callbacks alternate, stopped peers
  // never send). Returns one line per violation.
  std::vector<std::string> check_invariants() const;

  void set_observer(EventObserver observer) { observer_ = std::move(observer); }

 private:
  struct Member;
  class Adapter;

  Member& member(const PeerId& id);
  const Member& member(const PeerId& id) const;
  void make_instance(Member& m);
  void rebuild_views();
  void gossip_from(Member& sender, const election::LeadershipMessage& message);
  void deliver_later(Member& target, const election::LeadershipMessage& message);
  Duration next_delay();

  runtime::VirtualScheduler& scheduler_;
  ClusterOptions options_;
  std::mt19937_64 random_;
  std::unordered_map<PeerId, std::unique_ptr<Member>> members_;
  std::vector<PeerId> order_;
  std::unordered_map<PeerId, int> side_of_;  // empty = no partition
  std::vector<LeadershipChange> changes_;
  std::vector<std::string> cluster_violations_;
  std::uint64_t messages_sent_ = 0;
  std::uint64_t messages_delivered_ = 0;
  std::uint64_t messages_dropped_stale_ = 0;
  EventObserver observer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards pending deliveries
};

}  // namespace fabnet::sim
