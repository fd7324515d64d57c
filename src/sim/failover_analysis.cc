#include "sim/failover_analysis.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/scenario.h"

namespace fabnet::sim {
namespace {

// Nearest-rank percentile of sorted, non-empty values; p in (0, 1].
Duration percentile(const std::vector<Duration>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

FailoverBound failover_bound(const election::ElectionTimings& t, Duration shortest_delay,
                             Duration longest_delay, double fastest_clock, double slowest_clock) {
  const auto scaled = [](Duration d, double rate) {
    return Duration(static_cast<std::int64_t>(static_cast<double>(d.count()) / rate));
  };
  FailoverBound bound;
  bound.low =
      std::max(Duration::zero(),
               scaled(t.leader_alive_threshold / 2 + t.leader_election_duration, fastest_clock) -
                   shortest_delay);
  bound.high = scaled(2 * t.leader_alive_threshold + t.leader_election_duration, slowest_clock) +
               longest_delay;
  return bound;
}

FailoverBound failover_bound(const Scenario& scenario) {
  const election::ElectionTimings& t = scenario.settings.gossip.election;
  Duration shortest_delay = scenario.link.latency;
  Duration longest_delay = scenario.link.latency + scenario.link.jitter;
  double fastest_clock = 1.0;
  double slowest_clock = 1.0;
  for (const Fault& f : scenario.faults) {
    if (f.kind == FaultKind::kSkew) {
      fastest_clock = std::max(fastest_clock, f.rate);
      slowest_clock = std::min(slowest_clock, f.rate);
    } else if (f.kind == FaultKind::kLink) {
      const Duration latency = f.link.latency.value_or(scenario.link.latency);
      shortest_delay = std::min(shortest_delay, latency);
      longest_delay =
          std::max(longest_delay, latency + f.link.jitter.value_or(scenario.link.jitter));
    }
  }
  return failover_bound(t, shortest_delay, longest_delay, fastest_clock, slowest_clock);
}

bool within(const FailoverBound& b, Duration d) {
  return d >= b.low && d <= b.high;
}

std::size_t failover_count(const GroupReport& group) {
  return static_cast<std::size_t>(
      std::count_if(group.failovers.begin(), group.failovers.end(), is_failover));
}

std::vector<FailoverStats> failover_stats(const std::vector<SimResult>& runs) {
  std::map<std::string, std::vector<Duration>> recovered;
  std::map<std::string, std::size_t> not_recovered;
  for (const SimResult& r : runs)
    for (const GroupReport& g : r.groups)
      for (const FailoverRecord& f : g.failovers) {
        if (!is_failover(f)) continue;
        for (const std::string& cause : {f.cause, std::string("all")}) {
          recovered[cause];  // every cause gets a row, even if nothing recovered
          if (const auto d = f.duration())
            recovered[cause].push_back(*d);
          else
            ++not_recovered[cause];
        }
      }
  recovered["all"];
  std::vector<FailoverStats> stats;
  auto make = [&](const std::string& cause) {
    std::vector<Duration>& d = recovered[cause];
    std::sort(d.begin(), d.end());
    FailoverStats s;
    s.cause = cause;
    s.not_recovered = not_recovered[cause];
    s.count = d.size() + s.not_recovered;
    if (!d.empty()) {
      s.min = d.front();
      s.median = percentile(d, 0.5);
      s.p90 = percentile(d, 0.9);
      s.max = d.back();
    }
    return s;
  };
  for (const auto& [cause, d] : recovered)
    if (cause != "all") stats.push_back(make(cause));
  stats.push_back(make("all"));
  return stats;
}

}  // namespace fabnet::sim
