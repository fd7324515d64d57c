// The human report and the one-line summaries of `fabnet sim`.

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "config/duration.h"
#include "sim/report.h"
#include "sim/report_internal.h"
#include "sim/scenario.h"

namespace fabnet::sim {

using namespace detail;
using std::chrono::milliseconds;

std::string format_report_duration(Duration d) {
  if (d == Duration::zero()) return "0s";
  const Duration magnitude = d < Duration::zero() ? -d : d;
  // Millisecond precision is plenty at simulation scale; below that keep µs.
  if (magnitude < milliseconds(1))
    return config::format_duration(std::chrono::round<std::chrono::microseconds>(d));
  return config::format_duration(std::chrono::round<milliseconds>(d));
}

// docs/simulator.md, "Blocks": propagation, blocks behind, failover gaps, traffic.
void print_blocks(std::ostream& out, const SimResult& r) {
  out << "\nBlocks per (channel, org) (propagation: cut at the orderer to committed at the "
         "last peer of the org)\n";
  TextTable table(
      {"GROUP", "CUT", "AT ALL PEERS", "P50", "P99", "MAX", "WORST BEHIND", "LOWEST HEIGHT AT END"},
      {false, true, true, true, true, true, true, true});
  for (const BlockGroupReport& b : r.blocks) {
    std::uint64_t worst = 0;
    std::uint64_t lowest = b.peers.empty() ? 0 : b.peers.front().final_height;
    for (const PeerBlockSeries& p : b.peers) {
      worst = std::max(worst, p.max_behind);
      lowest = std::min(lowest, p.final_height);
    }
    table.add({b.channel + "/" + b.org, std::to_string(b.blocks_cut),
               std::to_string(b.blocks_complete), optional_duration(b.propagation_p50),
               optional_duration(b.propagation_p99), optional_duration(b.propagation_max),
               std::to_string(worst), std::to_string(lowest)});
  }
  table.print(out);

  out << "\nBlock messages per block (sent by the org's peers; per peer in brackets)\n";
  TextTable traffic({"GROUP", "TYPE", "MESSAGES", "PER BLOCK", "BYTES", "BYTES PER BLOCK"},
                    {false, false, true, true, true, true});
  for (const BlockGroupReport& b : r.blocks) {
    const double blocks = static_cast<double>(std::max<std::uint64_t>(b.blocks_cut, 1));
    const double peers = static_cast<double>(std::max<std::size_t>(b.peers.size(), 1));
    for (const char* type : {"push", "pull", "state_transfer"}) {
      const auto it = b.traffic.find(type);
      const BlockTraffic t = it == b.traffic.end() ? BlockTraffic{} : it->second;
      const double per_block = static_cast<double>(t.messages) / blocks;
      traffic.add({b.channel + "/" + b.org, type, std::to_string(t.messages),
                   fmt::format("{:.1f} ({:.2f})", per_block, per_block / peers),
                   format_bytes(static_cast<double>(t.bytes)),
                   format_bytes(static_cast<double>(t.bytes) / blocks)});
    }
  }
  traffic.print(out);

  out << "\nFailover gaps (no leader while the orderer cut blocks; caught up: every up peer "
         "holds every block cut until a leader was back)\n";
  TextTable gaps({"GROUP", "FROM", "LEADER AFTER", "BLOCKS CUT", "WORST BEHIND", "CAUGHT UP AFTER"},
                 {false, true, true, true, true, true});
  std::size_t listed = 0;
  for (const BlockGroupReport& b : r.blocks) {
    for (const BlockGap& g : b.gaps) {
      if (++listed > kMaxFailoversListed) continue;
      gaps.add({b.channel + "/" + b.org, format_report_duration(g.from),
                g.leader_at ? format_report_duration(*g.leader_at - g.from) : "never",
                std::to_string(g.blocks_cut), std::to_string(g.max_behind),
                g.caught_up_at ? format_report_duration(*g.caught_up_at - g.from) : "never"});
    }
  }
  if (listed == 0) {
    out << "  none\n";
  } else {
    gaps.print(out);
  }
  if (r.chain_checked) {
    fmt::print(out, "Chains at the end: checked ({})\n",
               r.chain_check_exact ? "every up peer holds exactly the orderer's chain"
                                   : "every up peer holds the blocks cut before the settling "
                                     "time, as the orderer cut them");
  } else {
    out << "Chains at the end: not checked (no heal-and-settle tail)\n";
  }
}

void print_report(std::ostream& out, const SimResult& r,
                  const std::optional<FailoverBound>& bound) {
  fmt::print(out,
             "Scenario \"{}\", seed {}: {} peers in {} (channel, org) groups, {} of virtual time\n",
             r.scenario_name, r.seed, r.peers, r.groups.size(), format_report_duration(r.duration));
  if (r.membership == MembershipModel::kIdeal) {
    out << "Membership: ideal. Views come from the simulator's ground truth and only the\n"
           "elections' leadership messages travel; no alive, membership or StateInfo traffic.\n";
  }

  out << "\nLeadership per (channel, org)\n";
  TextTable leadership({"GROUP", "PEERS", "FIRST LEADER", "CHANGES", "FAILOVERS", "NO LEADER",
                        "SEVERAL LEADERS", "LEADERS AT END"},
                       {false, true, true, true, true, true, true, false});
  for (std::size_t i = 0; i < r.groups.size() && i < kMaxGroupsListed; ++i) {
    const GroupReport& g = r.groups[i];
    leadership.add(
        {group_name(g), std::to_string(g.peers.size()),
         optional_duration(g.time_to_first_leader, "never"), std::to_string(g.changes.size()),
         std::to_string(failover_count(g)), format_report_duration(g.time_without_leader),
         format_report_duration(g.time_with_several_leaders),
         g.leaders_at_end.empty() ? "none"
                                  : join_truncated(g.leaders_at_end, kMaxLeadersAtEndListed)});
  }
  leadership.print(out);
  if (r.groups.size() > kMaxGroupsListed)
    fmt::print(out, "  ... and {} more groups (all in report.json)\n",
               r.groups.size() - kMaxGroupsListed);

  // docs/simulator.md, "Failovers": the end and the NEW LEADERS column.
  out << "\nFailovers (from the fault until every up member of the group hears exactly one "
         "leader, one per side of a partition";
  if (bound) fmt::print(out, "; election.md §5 bound {}", bound_text(*bound));
  out << ")\n";
  TextTable failovers({"GROUP", "FAULT", "OLD LEADER", "NEW LEADERS", "TOOK", ""},
                      {false, false, false, false, true, false});
  std::size_t listed = 0;
  for (const GroupReport& g : r.groups) {
    for (const FailoverRecord& f : g.failovers) {
      if (++listed > kMaxFailoversListed) continue;
      const std::string fault =
          fmt::format("{} at {}", f.cause, format_report_duration(f.fault_at));
      if (f.leader_kept) {
        failovers.add({group_name(g), fault, f.old_leader, f.new_leader, "no change",
                       "every member still heard its leader"});
        continue;
      }
      const auto took = f.duration();
      std::string verdict;
      if (bound && took) verdict = within(*bound, *took) ? "within bound" : "OUTSIDE bound";
      failovers.add({group_name(g), fault, f.old_leader, took ? f.new_leader : "-",
                     took ? format_report_duration(*took) : "not recovered", verdict});
    }
  }
  const std::size_t failover_count = listed;
  if (failover_count == 0) {
    out << "  none\n";
  } else {
    failovers.print(out);
    if (failover_count > kMaxFailoversListed)
      fmt::print(out, "  ... and {} more (all in report.json)\n",
                 failover_count - kMaxFailoversListed);
  }

  out << "\nLeader changes (+ became leader, - stepped down)\n";
  for (std::size_t i = 0; i < r.groups.size() && i < kMaxGroupsListed; ++i) {
    const GroupReport& g = r.groups[i];
    fmt::print(out, "  {} ({}){}", group_name(g), g.changes.size(),
               g.changes.empty() ? ": none" : "");
    std::string line;
    for (std::size_t c = 0; c < g.changes.size() && c < kMaxChangesListed; ++c) {
      const LeadershipChangeRecord& change = g.changes[c];
      if (c % kChangesPerLine == 0) {
        out << line.substr(0, line.find_last_not_of(' ') + 1);
        line = "\n   ";
      }
      line += fmt::format(" {:>10} {}{:<12}", format_report_duration(change.at),
                          change.is_leader ? '+' : '-', change.peer);
    }
    out << line.substr(0, line.find_last_not_of(' ') + 1);
    if (g.changes.size() > kMaxChangesListed)
      fmt::print(out, "\n    ... and {} more", g.changes.size() - kMaxChangesListed);
    out << '\n';
  }
  if (r.groups.size() > kMaxGroupsListed)
    fmt::print(out, "  ... and {} more groups\n", r.groups.size() - kMaxGroupsListed);

  if (!r.blocks.empty()) print_blocks(out, r);

  fmt::print(out, "\nFaults ({})\n", r.faults.size());
  if (r.faults.empty()) out << "  none\n";
  for (std::size_t i = 0; i < r.faults.size() && i < kMaxFaultsListed; ++i)
    fmt::print(out, "  {:>10}  {}\n", format_report_duration(r.faults[i].at),
               r.faults[i].description);
  if (r.faults.size() > kMaxFaultsListed)
    fmt::print(out, "  ... and {} more\n", r.faults.size() - kMaxFaultsListed);

  out << "\nMessages sent\n";
  TextTable messages({"TYPE", "COUNT", "PER PEER/S", "BYTES", "BYTES PER PEER/S"},
                     {false, true, true, true, true});
  std::uint64_t total_count = 0;
  std::uint64_t total_bytes = 0;
  auto add_message_row = [&](const std::string& type, std::uint64_t count, std::uint64_t bytes) {
    messages.add({type, std::to_string(count),
                  fmt::format("{:.3f}", per_peer_second(static_cast<double>(count), r)),
                  format_bytes(static_cast<double>(bytes)),
                  format_bytes(per_peer_second(static_cast<double>(bytes), r))});
  };
  for (const std::string& type : message_types(r.messages)) {
    const std::uint64_t count = lookup(r.messages.count, type);
    const std::uint64_t bytes = lookup(r.messages.bytes, type);
    total_count += count;
    total_bytes += bytes;
    add_message_row(type, count, bytes);
  }
  add_message_row("total", total_count, total_bytes);
  messages.print(out);
  fmt::print(out,
             "  lost {} · duplicated {} · blocked (partition or peer down) {} · unroutable {}\n",
             r.messages.lost, r.messages.duplicated, r.messages.blocked, r.messages.unroutable);

  fmt::print(out, "\nEvents: {} in {:.2f} s wall", r.events, r.wall_seconds);
  if (r.wall_seconds > 0)
    fmt::print(out, " ({:.2f} M events/s)", static_cast<double>(r.events) / r.wall_seconds / 1e6);
  fmt::print(out, "\nEvent log hash: {}\n", r.event_log_hash.empty() ? "-" : r.event_log_hash);
  if (r.violations.empty()) {
    out << "Violations: none\n";
  } else {
    fmt::print(out, "Violations ({}):\n", r.violations.size());
    for (const std::string& v : r.violations) fmt::print(out, "  {}\n", v);
  }
}

void print_run_summary(std::ostream& out, const SimResult& r) {
  std::size_t count = 0;
  std::size_t not_recovered = 0;
  std::optional<Duration> longest;
  Duration without_leader{0};
  Duration several_leaders{0};
  for (const GroupReport& g : r.groups) {
    without_leader += g.time_without_leader;
    several_leaders += g.time_with_several_leaders;
    for (const FailoverRecord& f : g.failovers) {
      if (!is_failover(f)) continue;
      ++count;
      if (const auto d = f.duration())
        longest = std::max(longest.value_or(*d), *d);
      else
        ++not_recovered;
    }
  }
  fmt::print(out,
             "seed {}: {} failovers (longest {}, {} not recovered), summed over groups no "
             "leader {} and several leaders {}, {} violations, {} events, hash {}\n",
             r.seed, count, optional_duration(longest), not_recovered,
             format_report_duration(without_leader), format_report_duration(several_leaders),
             r.violations.size(), r.events, r.event_log_hash.substr(0, 16));
  for (const BlockGroupReport& b : r.blocks) {
    fmt::print(out, "  blocks {}/{}: {} cut, {} at every peer, propagation p50 {} p99 {} max {}\n",
               b.channel, b.org, b.blocks_cut, b.blocks_complete,
               optional_duration(b.propagation_p50), optional_duration(b.propagation_p99),
               optional_duration(b.propagation_max));
  }
}

void print_failover_summary(std::ostream& out, const std::vector<SimResult>& runs,
                            const std::optional<FailoverBound>& bound) {
  fmt::print(out,
             "Failovers over {} runs (from the fault until every up member hears exactly one "
             "leader)\n",
             runs.size());
  TextTable table({"CAUSE", "COUNT", "NOT RECOVERED", "MIN", "MEDIAN", "P90", "MAX"},
                  {false, true, true, true, true, true, true});
  for (const FailoverStats& s : failover_stats(runs))
    table.add({s.cause, std::to_string(s.count), std::to_string(s.not_recovered),
               optional_duration(s.min), optional_duration(s.median), optional_duration(s.p90),
               optional_duration(s.max)});
  table.print(out);
  if (!bound) return;
  std::size_t recovered = 0;
  std::size_t outside = 0;
  for (const SimResult& r : runs)
    for (const GroupReport& g : r.groups)
      for (const FailoverRecord& f : g.failovers)
        if (const auto d = f.duration(); d && is_failover(f)) {
          ++recovered;
          if (!within(*bound, *d)) ++outside;
        }
  fmt::print(out, "  election.md §5 bound {}: {} of {} recovered failovers outside it\n",
             bound_text(*bound), outside, recovered);
}

}  // namespace fabnet::sim
