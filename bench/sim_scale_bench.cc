// The simulator at scale (issue 3 §5): builds a scenario of a given shape, runs
// it with run_simulation and prints wall time, events, peak RSS, message cost per
// peer per second by type and per-group election figures. Not a Google
// Benchmark: one run, one report. bench/README.md has the commands and figures.
//
//   fabnet_sim_scale_bench SHAPE [--virtual DURATION] [--seed N] [--membership ideal]
//   fabnet_sim_scale_bench custom --orgs O --peers-per-org P --channels C [--virtual D]
//
// SHAPE: groups10k, groups100x100, channels10x100, group10, group100, failover10,
// failover100, storm1000, storm10000. DURATION is a Go duration (10s, 2m, 1h). --membership
// ideal runs the elections alone on the simulator's ground-truth views.

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/core.h>

#include <fmt/format.h>
#include "sim/scenario.h"
#include "sim/sim_result.h"

#include "sim/election_cluster.h"
#include "sim/simulation.h"

namespace {

using fabnet::sim::Duration;
using fabnet::sim::Scenario;
using fabnet::sim::SimResult;
using Clock = std::chrono::steady_clock;

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

// Go-style duration with one unit suffix per number (10s, 500ms, 1h, 2m30s).
std::optional<Duration> parse_duration(const std::string& text) {
  Duration total{0};
  std::size_t i = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.'))
      ++j;
    if (j == i) return std::nullopt;
    const double value = std::stod(text.substr(i, j - i));
    std::size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
    const std::string unit = text.substr(j, k - j);
    double ns = 0;
    if (unit == "ms")
      ns = 1e6;
    else if (unit == "s")
      ns = 1e9;
    else if (unit == "m")
      ns = 60e9;
    else if (unit == "h")
      ns = 3600e9;
    else
      return std::nullopt;
    total += std::chrono::duration_cast<Duration>(
        std::chrono::nanoseconds(static_cast<std::int64_t>(value * ns)));
    i = k;
  }
  return total;
}

std::string go_duration(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return fmt::format("{}ms", ms);
}

struct Shape {
  std::string name;
  int channels = 1;
  int orgs = 1;
  int peers_per_org = 10;
  // Each (channel, org) group of an org holds peers_per_org / channels peers and
  // every peer joins one channel; otherwise every peer joins every channel.
  bool one_channel_per_peer = false;
  bool test_timings = false;
  bool crash_leader = false;  // crash the leader of channel0/org0 at 2m
  fabnet::sim::MembershipModel membership = fabnet::sim::MembershipModel::kGossip;
  Duration duration = std::chrono::minutes(1);
  // When set: messages sent per type from this virtual time on, read from the
  // event trace (slower: every event is formatted).
  std::optional<Duration> steady_from;
};

// The settings and link through the scenario loader (so they are validated and
// defaulted as a real scenario's); the network is then set in code, which avoids
// a 10,000-entry joins map in YAML.
Scenario build_scenario(const Shape& shape, std::uint64_t seed) {
  std::string yaml = fmt::format(
      "name: {}\nseed: {}\nduration: {}\nmembership: {}\n"
      "network:\n  orgs:\n    - {{name: org0, msp_id: Org0MSP, peers: 2}}\n"
      "  channels:\n    - {{name: channel0, orgs: [org0]}}\n"
      "settings:\n  peer:\n    gossip:\n      useLeaderElection: true\n      orgLeader: false\n",
      shape.name, seed, go_duration(shape.duration), fabnet::sim::to_string(shape.membership));
  if (shape.test_timings) {
    yaml +=
        "      election:\n        startupGracePeriod: 500ms\n        membershipSampleInterval: "
        "100ms\n"
        "        leaderAliveThreshold: 500ms\n        leaderElectionDuration: 500ms\n";
  }
  yaml += "link: {latency: 5ms, jitter: 5ms}\n";
  if (shape.crash_leader)
    yaml += "faults:\n  - {at: 2m, kind: crash, leader_of: {channel: channel0, org: org0}}\n";
  Scenario s = fabnet::sim::load_scenario_string(yaml, "<sim_scale_bench>");

  s.orgs.clear();
  s.channels.clear();
  for (int o = 0; o < shape.orgs; ++o)
    s.orgs.push_back({fmt::format("org{}", o), fmt::format("Org{}MSP", o), shape.peers_per_org});
  std::vector<std::string> org_names;
  for (const auto& org : s.orgs) org_names.push_back(org.name);
  for (int c = 0; c < shape.channels; ++c)
    s.channels.push_back({fmt::format("channel{}", c), org_names});
  if (shape.one_channel_per_peer && shape.channels > 1) {
    const int per_group = shape.peers_per_org / shape.channels;
    for (const auto& org : s.orgs)
      for (int p = 0; p < shape.peers_per_org; ++p)
        s.joins[fabnet::sim::peer_name(p, org.name)] = {
            fmt::format("channel{}", std::min(p / per_group, shape.channels - 1))};
  }
  fabnet::sim::validate_scenario(s, "<sim_scale_bench>");
  return s;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// When the group last went to exactly one leader and stayed so to the end
// (nullopt if it does not end with exactly one leader).
std::optional<Duration> stable_leader_since(const fabnet::sim::GroupReport& g) {
  if (g.leaders_at_end.size() != 1) return std::nullopt;
  std::set<std::string> leading;
  std::optional<Duration> since;
  auto changes = g.changes;
  std::stable_sort(changes.begin(), changes.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    if (c.is_leader)
      leading.insert(c.peer);
    else
      leading.erase(c.peer);
    // Only judge after all changes at this instant.
    if (i + 1 < changes.size() && changes[i + 1].at == c.at) continue;
    if (leading.size() == 1) {
      if (!since) since = c.at;
    } else {
      since.reset();
    }
  }
  return since;
}

int usage() {
  std::fprintf(stderr,
               "usage: fabnet_sim_scale_bench SHAPE [--virtual DURATION] [--seed N] "
               "[--membership gossip|ideal] [--steady-from DURATION]\n"
               "  SHAPE: groups10k | groups100x100 | channels10x100 | group10 | group100 | "
               "failover10 | failover100 | storm1000 | storm10000 | election1000\n"
               "         | custom --orgs O --peers-per-org P --channels C [--one-channel-per-peer] "
               "[--test-timings]\n");
  return 2;
}

// The election alone, at 1,000 peers in one (channel, org), with Fabric's test
// timings and an idealised membership (everyone sees everyone from the start):
// separates the algorithm's behaviour from the membership protocol's cost.
int election_only(int peers) {
  fabnet::runtime::VirtualScheduler scheduler;
  fabnet::sim::ClusterOptions options;
  options.timings = fabnet::election::ElectionTimings::fabric_test_timings();
  options.message_delay = std::chrono::milliseconds(5);
  options.message_jitter = std::chrono::milliseconds(5);
  fabnet::sim::ElectionCluster cluster(scheduler, options);
  for (int i = 0; i < peers; ++i) cluster.add_peer(fmt::format("peer{:04}", i));
  const double cpu_start = cpu_seconds();
  cluster.start_all();
  // Stable = one leader and no leadership change for 20 x LAT (10 s).
  Duration stable_since{-1};
  std::size_t changes_seen = 0;
  while (scheduler.now() < std::chrono::seconds(60)) {
    scheduler.run_for(std::chrono::milliseconds(100));
    if (cluster.changes().size() != changes_seen || cluster.leaders().size() != 1) {
      changes_seen = cluster.changes().size();
      stable_since = Duration(-1);
      continue;
    }
    if (stable_since < Duration::zero()) stable_since = scheduler.now();
    if (scheduler.now() - stable_since >= std::chrono::seconds(10)) break;
  }
  const double settle_cpu = cpu_seconds() - cpu_start;
  const auto sent_before = cluster.messages_sent();
  const double cpu_before = cpu_seconds();
  scheduler.run_for(std::chrono::seconds(60));
  const double quiet_cpu = cpu_seconds() - cpu_before;
  std::printf(
      "election only, %d peers, test timings, idealised membership:\n"
      "  one leader (%s) since %.3f virtual s, unchanged for 10 s; %zu leadership changes; "
      "%.2f s CPU to get there\n"
      "  afterwards: %.1f leadership messages per virtual s (the leader's declarations to "
      "%d peers every LAT/2), %.2f ms CPU per virtual s\n",
      peers, cluster.leaders().empty() ? "none" : cluster.leaders().front().c_str(),
      seconds(stable_since), cluster.changes().size(), settle_cpu,
      static_cast<double>(cluster.messages_sent() - sent_before) / 60.0, peers - 1,
      quiet_cpu * 1000 / 60.0);
  return cluster.leaders().size() == 1 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string name = argv[1];
  if (name == "election1000") return election_only(1000);
  Shape shape;
  shape.name = name;
  if (name == "groups10k") {
    shape.channels = 100, shape.orgs = 10, shape.peers_per_org = 1000,
    shape.one_channel_per_peer = true;
  } else if (name == "channels10x100") {
    shape.channels = 10, shape.orgs = 10, shape.peers_per_org = 100;
  } else if (name == "groups100x100") {
    shape.channels = 10, shape.orgs = 10, shape.peers_per_org = 1000,
    shape.one_channel_per_peer = true;
  } else if (name == "group10" || name == "group100") {
    shape.peers_per_org = std::stoi(name.substr(5));
    shape.duration = std::chrono::minutes(4);
  } else if (name == "failover10" || name == "failover100") {
    shape.peers_per_org = std::stoi(name.substr(8));
    shape.crash_leader = true;
    shape.duration = std::chrono::minutes(4);
  } else if (name == "storm1000" || name == "storm10000") {
    shape.peers_per_org = std::stoi(name.substr(5)), shape.test_timings = true;
    shape.duration = std::chrono::seconds(30);
  } else if (name != "custom") {
    return usage();
  }
  std::uint64_t seed = 1;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--virtual") {
      auto d = parse_duration(next());
      if (!d || d->count() <= 0) return usage();
      shape.duration = *d;
    } else if (arg == "--steady-from") {
      auto d = parse_duration(next());
      if (!d || d->count() < 0) return usage();
      shape.steady_from = *d;
    } else if (arg == "--seed") {
      seed = std::stoull(next());
    } else if (arg == "--orgs") {
      shape.orgs = std::stoi(next());
    } else if (arg == "--peers-per-org") {
      shape.peers_per_org = std::stoi(next());
    } else if (arg == "--channels") {
      shape.channels = std::stoi(next());
    } else if (arg == "--one-channel-per-peer") {
      shape.one_channel_per_peer = true;
    } else if (arg == "--test-timings") {
      shape.test_timings = true;
    } else if (arg == "--membership") {
      const auto model = fabnet::sim::membership_model_from(next());
      if (!model) return usage();
      shape.membership = *model;
    } else {
      return usage();
    }
  }

  Scenario scenario;
  try {
    scenario = build_scenario(shape, seed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bad scenario: %s\n", e.what());
    return 2;
  }

  // Wall and CPU time against virtual time, sampled through the progress callback.
  struct Sample {
    double fraction, wall, cpu;
  };
  std::vector<Sample> samples;
  const auto begin = Clock::now();
  const double cpu_begin = cpu_seconds();
  fabnet::sim::RunOptions options;
  options.progress = [&](double f) {
    samples.push_back({f, std::chrono::duration<double>(Clock::now() - begin).count(),
                       cpu_seconds() - cpu_begin});
    // On stderr as it goes, so that a run stopped by `timeout` still leaves figures.
    fmt::print(stderr,
               "progress {:.3f} virtual {:.2f} s wall {:.2f} s cpu {:.2f} s rss {:.1f} MiB\n", f,
               f * seconds(scenario.duration), samples.back().wall, samples.back().cpu,
               static_cast<double>(peak_rss_kib()) / 1024.0);
  };
  std::map<std::string, std::uint64_t> steady_sent;
  if (shape.steady_from) {
    const std::int64_t from_ns = shape.steady_from->count();
    // "<time ns> <peer> <kind> <detail> <number>"; sends have kind "send", detail the content.
    options.trace = [&](std::string_view line) {
      std::size_t p = line.find_first_not_of(' ');
      const std::size_t time_end = line.find(' ', p);
      if (std::stoll(std::string(line.substr(p, time_end - p))) < from_ns) return;
      p = line.find_first_not_of(' ', time_end);
      p = line.find(' ', p) + 1;  // past the peer
      if (line.substr(p, 5) != "send ") return;
      p += 5;
      ++steady_sent[std::string(line.substr(p, line.find(' ', p) - p))];
    };
  }
  const SimResult r = fabnet::sim::run_simulation(scenario, options);
  const double wall = std::chrono::duration<double>(Clock::now() - begin).count();
  const double cpu = cpu_seconds() - cpu_begin;
  const double virt = seconds(r.duration);
  const double peers = static_cast<double>(r.peers);

  fmt::print(
      "shape {}: {} peers, {} orgs x {} peers/org, {} channels{}{}, {} (channel, org) groups, "
      "membership {}, seed {}\n",
      name, r.peers, shape.orgs, shape.peers_per_org, shape.channels,
      shape.one_channel_per_peer ? " (each peer in one channel)" : "",
      shape.test_timings ? ", Fabric test election timings" : ", Fabric default timings",
      r.groups.size(), fabnet::sim::to_string(r.membership), seed);
  fmt::print("virtual time      {:.1f} s\n", virt);
  fmt::print("wall time         {:.2f} s  (CPU {:.2f} s)\n", wall, cpu);
  fmt::print("events            {}  ({:.0f} events/s)\n", r.events,
             static_cast<double>(r.events) / wall);
  fmt::print(
      "virtual s/wall s  {:.3f}  -> one virtual hour ~ {:.0f} s wall (linear extrapolation)\n",
      virt / wall, 3600.0 / virt * wall);
  fmt::print("peak RSS          {:.1f} MiB\n", static_cast<double>(peak_rss_kib()) / 1024.0);
  // The second half of the run, past start-up: wall and CPU per virtual second.
  if (samples.size() >= 2) {
    const Sample* mid = &samples.front();
    for (const auto& s : samples)
      if (s.fraction <= 0.5) mid = &s;
    const double dv = (1.0 - mid->fraction) * virt;
    if (dv > 0)
      fmt::print(
          "second half       from {:.1f} s virtual: {:.4f} s wall, {:.4f} s CPU per virtual s\n",
          mid->fraction * virt, (wall - mid->wall) / dv, (cpu - mid->cpu) / dv);
  }

  std::uint64_t total_count = 0, total_bytes = 0;
  fmt::print("messages sent     {:<22} {:>12} {:>14} {:>16} {:>18}\n", "type", "count", "bytes",
             "msgs/peer/s", "bytes/peer/s");
  for (const auto& [type, count] : r.messages.count) {
    const auto bytes = r.messages.bytes.count(type) ? r.messages.bytes.at(type) : 0;
    total_count += count;
    total_bytes += bytes;
    fmt::print("                  {:<22} {:>12} {:>14} {:>16.3f} {:>18.1f}\n", type, count, bytes,
               static_cast<double>(count) / peers / virt,
               static_cast<double>(bytes) / peers / virt);
  }
  fmt::print("                  {:<22} {:>12} {:>14} {:>16.3f} {:>18.1f}\n", "total", total_count,
             total_bytes, static_cast<double>(total_count) / peers / virt,
             static_cast<double>(total_bytes) / peers / virt);
  fmt::print("                  lost {} duplicated {} blocked {} unroutable {}\n", r.messages.lost,
             r.messages.duplicated, r.messages.blocked, r.messages.unroutable);
  if (shape.steady_from) {
    const double window = virt - seconds(*shape.steady_from);
    std::uint64_t total = 0;
    for (const auto& [type, count] : steady_sent) {
      total += count;
      fmt::print("from {:>6.1f} s     {:<22} {:>12} msgs {:>12.3f} msgs/peer/s\n",
                 seconds(*shape.steady_from), type, count,
                 static_cast<double>(count) / peers / window);
    }
    fmt::print("from {:>6.1f} s     {:<22} {:>12} msgs {:>12.3f} msgs/peer/s\n",
               seconds(*shape.steady_from), "total", total,
               static_cast<double>(total) / peers / window);
  }

  // Per group: first leader, stable single leader, leaders at end, changes.
  std::optional<double> first_min, first_max, stable_max;
  std::size_t never = 0, one_at_end = 0, not_one_at_end = 0, changes_max = 0, changes_total = 0;
  std::size_t leaders_end_min = SIZE_MAX, leaders_end_max = 0;
  for (const auto& g : r.groups) {
    if (g.time_to_first_leader) {
      const double t = seconds(*g.time_to_first_leader);
      first_min = first_min ? std::min(*first_min, t) : t;
      first_max = first_max ? std::max(*first_max, t) : t;
    } else {
      ++never;
    }
    if (auto since = stable_leader_since(g)) {
      const double t = seconds(*since);
      stable_max = stable_max ? std::max(*stable_max, t) : t;
    }
    leaders_end_min = std::min(leaders_end_min, g.leaders_at_end.size());
    leaders_end_max = std::max(leaders_end_max, g.leaders_at_end.size());
    (g.leaders_at_end.size() == 1 ? one_at_end : not_one_at_end)++;
    changes_max = std::max(changes_max, g.changes.size());
    changes_total += g.changes.size();
  }
  fmt::print("groups            {}: first leader min {} max {} (never: {})\n", r.groups.size(),
             first_min ? fmt::format("{:.3f} s", *first_min) : "-",
             first_max ? fmt::format("{:.3f} s", *first_max) : "-", never);
  fmt::print(
      "                  leaders at end min {} max {}; {} groups with exactly one, {} without\n",
      r.groups.empty() ? 0 : leaders_end_min, leaders_end_max, one_at_end, not_one_at_end);
  fmt::print(
      "                  one stable leader from (latest over groups) {}; leader changes total {} "
      "max/group {}\n",
      stable_max ? fmt::format("{:.3f} s", *stable_max) : "never", changes_total, changes_max);
  // groupN / failoverN: the message cost in the window [2m, 4m], as the difference
  // of runs to 4m and to 2m with the same seed (identical up to 2m, the crash is at
  // 2m); for failoverN the steady group's cost over the same window is subtracted.
  if (name == "group10" || name == "group100" || name.rfind("failover", 0) == 0) {
    auto run_to = [&](Duration d, bool crash) {
      Shape s2 = shape;
      s2.duration = d;
      s2.crash_leader = crash;
      return fabnet::sim::run_simulation(build_scenario(s2, seed), fabnet::sim::RunOptions{});
    };
    const SimResult steady2 = run_to(std::chrono::minutes(2), false);
    const SimResult steady4 = run_to(std::chrono::minutes(4), false);
    const SimResult fail4 = shape.crash_leader ? r : run_to(std::chrono::minutes(4), true);
    const double window = 120.0;
    std::set<std::string> types;
    for (const auto* x : {&steady2, &steady4, &fail4})
      for (const auto& [t, c] : x->messages.count) types.insert(t);
    auto at = [](const std::map<std::string, std::uint64_t>& m, const std::string& t) -> double {
      auto it = m.find(t);
      return it == m.end() ? 0.0 : static_cast<double>(it->second);
    };
    fmt::print("window 2m..4m     {:<22} {:>14} {:>16} {:>18} {:>18}\n", "type",
               "steady msg/peer/s", "steady B/peer/s", "failover extra msgs", "failover extra B");
    double sc = 0, sb = 0, fc = 0, fb = 0;
    for (const auto& t : types) {
      const double c = at(steady4.messages.count, t) - at(steady2.messages.count, t);
      const double b = at(steady4.messages.bytes, t) - at(steady2.messages.bytes, t);
      const double xc = at(fail4.messages.count, t) - at(steady4.messages.count, t);
      const double xb = at(fail4.messages.bytes, t) - at(steady4.messages.bytes, t);
      sc += c, sb += b, fc += xc, fb += xb;
      fmt::print("                  {:<22} {:>14.3f} {:>16.1f} {:>18.0f} {:>18.0f}\n", t,
                 c / peers / window, b / peers / window, xc, xb);
    }
    fmt::print("                  {:<22} {:>14.3f} {:>16.1f} {:>18.0f} {:>18.0f}\n", "total",
               sc / peers / window, sb / peers / window, fc, fb);
    fmt::print(
        "                  (failover extra = failover run minus steady run over 2m..4m; negative "
        "where the\n"
        "                   crashed leader's own traffic is missing)\n");
  }

  for (const auto& g : r.groups) {
    for (const auto& f : g.failovers) {
      fmt::print("failover          {}/{} {} at {:.3f} s, old {}, new {}, took {}\n", g.channel,
                 g.org, f.cause, seconds(f.fault_at), f.old_leader, f.new_leader,
                 f.duration() ? fmt::format("{:.3f} s", seconds(*f.duration())) : "not recovered");
    }
  }
  return 0;
}
