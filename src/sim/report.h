#pragma once

// Renderers of simulation results for `fabnet sim`: a human report
// (report_text.cc), JSON (report_json.cc), and SVG pictures, a leadership
// timeline and a failover-time CDF (report_svg.cc). Pure functions of their
// arguments; the numbers they show come from sim/failover_analysis.h.

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/failover_analysis.h"
#include "sim/sim_result.h"

namespace fabnet::sim {

struct Scenario;

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
// markers, a time axis and a legend. With blocks, each lane also draws the
// peer's blocks behind the orderer over time (its ledger height).
std::string render_timeline_svg(const SimResult& result, const TimelineOptions& options = {});

// A standalone SVG: the empirical CDF of every failover duration over `runs`
// (one curve for all, one per cause when there are several), with `bound`
// shaded. Failovers that never recovered count in the denominator, so the
// curve then tops out below 1.
std::string render_failover_cdf_svg(const std::vector<SimResult>& runs,
                                    const std::optional<FailoverBound>& bound = std::nullopt);

// A standalone SVG: the empirical CDF of block propagation (cut at the orderer to
// committed at the last peer of the org), one curve per (channel, org) over
// `runs`; blocks some peer never committed count in the denominator only.
std::string render_propagation_cdf_svg(const std::vector<SimResult>& runs);

}  // namespace fabnet::sim
