#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "election/election_config.h"
#include "election/message.h"
#include "runtime/scheduler.h"

namespace fabnet::cli {

using election::PeerId;
using runtime::Duration;
using runtime::TimePoint;

// What `fabnet demo` runs: one channel, two orgs of four peers, one virtual clock.
struct DemoOptions {
  election::ElectionTimings timings;               // Fabric's defaults unless configured
  std::string timings_source = "Fabric defaults";  // named in the header line
  std::uint64_t seed = 1;                          // start offsets; same seed, same output
  std::optional<Duration> crash_at;  // absent: leaderAliveThreshold after both orgs lead
  std::optional<Duration> duration;  // absent: until the failover has settled
  bool color = false;                // ANSI colours in the timeline
  std::vector<std::string> notes;    // extra header lines (e.g. a config remark)
};

struct OrgSummary {
  std::string org;                       // MSP ID
  std::vector<PeerId> leaders_at_end;    // running leaders when the run ended
  std::optional<Duration> first_leader;  // the org's first start -> first single leader
  std::optional<PeerId> crashed_peer;    // the leader the demo crashed, if any
  std::optional<TimePoint> crashed_at;
  std::optional<Duration> failover;  // crash -> a single new leader
  std::optional<PeerId> new_leader;  // who led right after the failover
  std::optional<bool> failover_within_bound;
};

struct DemoResult {
  std::vector<OrgSummary> orgs;  // Org1MSP, Org2MSP
  // election.md §5 failover window, widened by the message delay on both ends.
  Duration failover_min{};
  Duration failover_max{};
  TimePoint ended_at{};
  std::uint64_t events = 0;
  std::uint64_t suppressed_declarations = 0;
  std::vector<std::string> invariant_violations;  // empty unless the election is broken
};

// Runs the demo in virtual time, writing the timeline and a per-org summary to `out`.
// Deterministic: the same options give the same bytes.
DemoResult run_demo(const DemoOptions& options, std::ostream& out);

// "  12.345s"-style virtual timestamp (seconds with millisecond precision).
std::string format_seconds(Duration d);

}  // namespace fabnet::cli
