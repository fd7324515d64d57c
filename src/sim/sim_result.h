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

struct SimResult {
  std::string scenario_name;
  std::uint64_t seed = 0;
  MembershipModel membership = MembershipModel::kGossip;  // the scenario's
  Duration duration{0};
  std::size_t peers = 0;
  std::vector<GroupReport> groups;
  std::vector<FaultMark> faults;
  MessageStats messages;
  std::uint64_t events = 0;             // scheduler events fired
  std::string event_log_hash;           // hex digest of the ordered event log
  std::vector<std::string> violations;  // invariant violations seen (explore mode)
  double wall_seconds = 0;
};

}  // namespace fabnet::sim
