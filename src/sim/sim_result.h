#pragma once

// What one simulation run produced: the contract between the simulator
// (src/sim/simulation.*) and its renderers (table, JSON, SVG in src/sim/report.*).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/scheduler.h"
#include "sim/scenario.h"

namespace fabnet::sim {

using runtime::Duration;
using runtime::TimePoint;

// A stretch of time during which `peer` believed it led its (channel, org).
struct LeaderSpan {
  std::string peer;
  TimePoint from{0};
  TimePoint to{0};  // end of run if it still led
};

struct LeadershipChangeRecord {
  TimePoint at{0};
  std::string peer;
  bool is_leader = false;
};

// A fault from the scenario timeline, as it was applied.
struct FaultMark {
  TimePoint at{0};
  std::string kind;                // crash, restart, pause, resume, partition, heal, skew, link
  std::vector<std::string> peers;  // peers it touched (all sides for a partition)
  std::string description;         // one human line
};

// From a fault that took a group's leader away (crash or pause of it, or a
// partition after which some up member no longer hears it) until every up
// member hears exactly one leader, itself if it leads (docs/simulator.md,
// "Failovers"). A partition that cut links inside the group
// while every member still heard its leader is recorded with leader_kept: "no
// change", not a failover.
struct FailoverRecord {
  TimePoint fault_at{0};
  std::string cause;  // the fault kind
  std::string old_leader;
  std::optional<TimePoint> recovered_at;  // nullopt: not recovered before the end
  // At recovery: every leader then, comma-separated in member order (one per
  // side of a two-way partition).
  std::string new_leader;
  bool leader_kept = false;
  std::optional<Duration> duration() const {
    if (!recovered_at) return std::nullopt;
    return *recovered_at - fault_at;
  }
};

// One (channel, org) election group.
struct GroupReport {
  std::string channel;
  std::string org;
  std::vector<std::string> peers;                // members that joined the channel
  std::optional<Duration> time_to_first_leader;  // from the start of the run
  std::vector<LeadershipChangeRecord> changes;
  std::vector<LeaderSpan> spans;
  std::vector<FailoverRecord> failovers;
  Duration time_without_leader{0};        // after the first leader appeared
  Duration time_with_several_leaders{0};  // more than one at once
  std::vector<std::string> leaders_at_end;
};

struct MessageStats {
  std::map<std::string, std::uint64_t> count;  // by content name (alive_msg, leadership_msg, ...)
  std::map<std::string, std::uint64_t> bytes;
  std::uint64_t lost = 0;  // dropped by the link model
  std::uint64_t duplicated = 0;
  std::uint64_t blocked = 0;     // by a partition or a down peer
  std::uint64_t unroutable = 0;  // to an endpoint no peer listens on
};

// Block messages of one kind (push, pull, state_transfer) sent by the peers of a
// (channel, org): every send to one receiver counts once, as on the wire.
struct BlockTraffic {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

// A stretch during which a (channel, org) had no leader, so no peer of it pulled
// blocks from the ordering service (docs/simulator.md, "Blocks").
struct BlockGap {
  TimePoint from{0};                      // the last leader went away
  std::optional<TimePoint> leader_at;     // a leader again (nullopt: not before the end)
  std::uint64_t blocks_cut = 0;           // cut by the orderer meanwhile
  std::uint64_t max_behind = 0;           // worst blocks-behind of an up member until caught up
  std::optional<TimePoint> caught_up_at;  // every up member held every block cut until leader_at
};

// One peer's ledger height as the run went on.
struct PeerBlockSeries {
  std::string peer;
  std::uint64_t final_height = 0;
  std::uint64_t max_behind = 0;  // while up, over the samples
  // Per sample: orderer height minus the peer's, or -1 while it was down.
  std::vector<std::int64_t> behind;
  std::vector<std::uint64_t> height;  // per sample; the last known while down
};

// The blocks of one (channel, org) group.
struct BlockGroupReport {
  std::string channel;
  std::string org;
  std::uint64_t blocks_cut = 0;       // by the orderer, in the whole run
  std::uint64_t blocks_complete = 0;  // committed by every member of the group
  // Per block, in number order, from cut at the orderer to committed at the last
  // member of the org; nullopt for a block some member never committed.
  std::vector<std::optional<Duration>> propagation;
  std::optional<Duration> propagation_p50;
  std::optional<Duration> propagation_p99;
  std::optional<Duration> propagation_max;
  std::vector<BlockGap> gaps;
  std::map<std::string, BlockTraffic> traffic;  // push, pull, state_transfer
  Duration sample_interval{0};
  std::vector<PeerBlockSeries> peers;
};

struct SimResult {
  std::string scenario_name;
  std::uint64_t seed = 0;
  MembershipModel membership = MembershipModel::kGossip;  // the scenario's
  Duration duration{0};
  std::size_t peers = 0;
  std::vector<GroupReport> groups;
  std::vector<FaultMark> faults;
  MessageStats messages;
  std::uint64_t events = 0;                              // scheduler events fired
  std::string event_log_hash;                            // hex digest of the ordered event log
  std::vector<std::string> violations;                   // invariant violations seen (explore mode)
  std::vector<BlockGroupReport> blocks;                  // empty without a `blocks` section
  std::map<std::string, std::uint64_t> orderer_heights;  // by channel
  // Whether the end-of-run chain check ran (the run had a heal-and-settle tail),
  // and whether it was exact (the orderer stopped cutting before the tail).
  bool chain_checked = false;
  bool chain_check_exact = false;
  double wall_seconds = 0;
};

}  // namespace fabnet::sim
