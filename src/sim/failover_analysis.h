#pragma once

// Analysis of simulation results: the failover bound of election.md §5 (its one
// home: the report, the demo and the tests all use it) and failover statistics
// over runs. Rendering lives in sim/report.h.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "election/election_config.h"
#include "sim/sim_result.h"

namespace fabnet::sim {

struct Scenario;

// Where election.md §5 expects a failover to end, measured from the fault.
struct FailoverBound {
  Duration low{0};
  Duration high{0};
};

// election.md §5: a surviving follower detects the missing leader between LAT/2
// and 2·LAT after the fault and an election round takes LED, so the new leader
// appears between LAT/2 + LED and 2·LAT + LED. Widened by the message delay (the
// shortest at the low end, the longest at the high end) and by clock rates (the
// fastest shortens, the slowest stretches).
FailoverBound failover_bound(const election::ElectionTimings& timings, Duration shortest_delay,
                             Duration longest_delay, double fastest_clock = 1.0,
                             double slowest_clock = 1.0);
// The bound for a scenario: its link's delays (every `link` fault included) and
// its skewed clocks.
FailoverBound failover_bound(const Scenario& scenario);
bool within(const FailoverBound& bound, Duration took);

// Whether a record is a failover (leadership was lost), not a "no change".
inline bool is_failover(const FailoverRecord& f) {
  return !f.leader_kept;
}
std::size_t failover_count(const GroupReport& group);

// Failover durations of one cause (crash, pause, partition, ...) or of all
// ("all") over a set of runs. Percentiles are nearest-rank over the recovered
// failovers; they are empty when none recovered. "No change" records are not
// failovers and are not counted.
struct FailoverStats {
  std::string cause;
  std::size_t count = 0;
  std::size_t not_recovered = 0;
  std::optional<Duration> min;
  std::optional<Duration> median;
  std::optional<Duration> p90;
  std::optional<Duration> max;
};
// One entry per cause in name order, then "all" (present even with no failovers).
std::vector<FailoverStats> failover_stats(const std::vector<SimResult>& runs);

}  // namespace fabnet::sim
