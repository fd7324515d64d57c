#pragma once

// Renderers of simulation results for `fabnet sim`: a human report, JSON, and
// SVG pictures (a leadership timeline, a failover-time CDF). Pure functions of
// their arguments; nothing here runs a simulation.

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/sim_result.h"

namespace fabnet::sim {

struct Scenario;

// Where election.md §5 expects a failover to end, measured from the fault:
// LAT/2 + LED .. 2·LAT + LED, widened by the message delay and clock skew.
struct FailoverBound {
  Duration low{0};
  Duration high{0};
};
FailoverBound failover_bound(const Scenario& scenario);

// Failover durations of one cause (crash, pause, partition, ...) or of all
// ("all") over a set of runs. Percentiles are nearest-rank over the recovered
// failovers; they are empty when none recovered.
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

// Durations as the report prints them: Go syntax rounded to the millisecond.
std::string format_report_duration(Duration d);

// The human report of one run: leadership per (channel, org), failovers, leader
// changes, faults, messages per type, events, the event-log hash, violations.
// With `bound`, each failover is marked inside or outside it.
void print_report(std::ostream& out, const SimResult& result,
                  const std::optional<FailoverBound>& bound = std::nullopt);

// One line: seed, failovers, leader gaps, violations, events, hash prefix.
void print_run_summary(std::ostream& out, const SimResult& result);

// The failover table over several runs: count, not recovered, min, median,
// p90, max per cause.
void print_failover_summary(std::ostream& out, const std::vector<SimResult>& runs,
                            const std::optional<FailoverBound>& bound = std::nullopt);

// Everything in `result`. Durations and times appear twice: `<name>_s` in
// seconds (double) and `<name>_ns` in nanoseconds (integer); absent ones are null.
nlohmann::json to_json(const SimResult& result);
nlohmann::json to_json(const FailoverStats& stats);
nlohmann::json to_json(const FailoverBound& bound);

struct TimelineOptions {
  // Beyond these, groups and peers are left out (the SVG says how many):
  // groups with failovers, then with leader gaps, and peers that led or went
  // down are kept first.
  std::size_t max_groups = 24;
  std::size_t max_peers_per_group = 16;
};

// A standalone SVG: one lane per peer grouped by (channel, org), leader spans
// as bars, crashed and paused stretches shaded, faults as labelled vertical
// markers, a time axis and a legend.
std::string render_timeline_svg(const SimResult& result, const TimelineOptions& options = {});

// A standalone SVG: the empirical CDF of every failover duration over `runs`
// (one curve for all, one per cause when there are several), with `bound`
// shaded. Failovers that never recovered count in the denominator, so the
// curve then tops out below 1.
std::string render_failover_cdf_svg(const std::vector<SimResult>& runs,
                                    const std::optional<FailoverBound>& bound = std::nullopt);

}  // namespace fabnet::sim
