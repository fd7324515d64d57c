// Peer processes on this machine: resource use at steady state and failover
// times, measured from outside through /proc and the operations endpoints.
//
//   fabnet_process_bench steady [--peers-per-org N] [--seconds S]
//       2 orgs x N peers (default 25: 50 processes) on 5 channels at Fabric's
//       default timings; time from cold start to one stable leader per (channel,
//       org), then per-process RSS and total CPU over S seconds (default 300).
//   fabnet_process_bench failover [--kills K]
//       1 org x 5 peers at Fabric's test timings; kills the leader K times
//       (default 20) and reports the failover time distribution against
//       election.md §5's bound 2*LAT+LED.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "peer_network.h"

namespace {

using fabnet::testing::Clock;
using fabnet::testing::NetworkTimings;
using fabnet::testing::PeerNetwork;
using std::chrono::milliseconds;

struct ProcStat {
  double cpu_seconds = 0;
  long rss_kib = 0;
};

ProcStat read_proc(pid_t pid) {
  ProcStat s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close_paren = content.rfind(')');
  if (close_paren != std::string::npos) {
    std::istringstream rest(content.substr(close_paren + 2));
    std::string field;
    std::vector<std::string> fields;
    while (rest >> field) fields.push_back(field);
    // After the command: state(0) ... utime is field 14 of the line, index 11 here.
    if (fields.size() > 12)
      s.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / sysconf(_SC_CLK_TCK);
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stol(line.substr(6));
  return s;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double index = p * (values.size() - 1);
  const auto lo = static_cast<std::size_t>(index);
  const auto hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (index - lo);
}

int steady(int peers_per_org, int seconds) {
  const NetworkTimings defaults = NetworkTimings::fabric_defaults();
  std::map<std::string, std::vector<int>> channels;
  const int per_channel = std::max(1, peers_per_org / 5);
  for (int c = 0; c < 5; ++c) {
    std::vector<int> members;
    for (int i = c * per_channel; i < std::min(peers_per_org, (c + 1) * per_channel); ++i)
      members.push_back(i);
    channels["ch" + std::to_string(c)] = members;
  }
  PeerNetwork net({"org1", "org2"}, peers_per_org, channels, defaults);
  const auto started = Clock::now();
  net.start_all();
  std::printf("started %d peer processes (2 orgs x %d, 5 channels), Fabric default timings\n",
              2 * peers_per_org, peers_per_org);
  const bool stable = PeerNetwork::wait_until(
      [&] {
        for (const auto& [channel, members] : channels)
          for (const char* org : {"org1", "org2"})
            if (!net.settled(channel, org)) return false;
        return true;
      },
      milliseconds(120000));
  const double cold_start = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("cold start to one stable leader per (channel, org): %s %.1f s\n",
              stable ? "" : "NOT REACHED after", cold_start);

  std::vector<std::string> ids;
  for (const auto& [channel, members] : channels)
    for (const char* org : {"org1", "org2"})
      for (const auto& id : net.members(channel, org)) ids.push_back(id);
  std::vector<ProcStat> before;
  for (const auto& id : ids) before.push_back(read_proc(net.peer(id).pid));
  const auto window_start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const double window = std::chrono::duration<double>(Clock::now() - window_start).count();
  double cpu = 0;
  std::vector<double> rss_mib;
  std::vector<std::string> exited;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!net.running(ids[i])) {
      exited.push_back(ids[i]);
      continue;
    }
    const ProcStat after = read_proc(net.peer(ids[i]).pid);
    cpu += after.cpu_seconds - before[i].cpu_seconds;
    rss_mib.push_back(after.rss_kib / 1024.0);
  }
  for (const auto& id : exited)
    std::printf("peer %s is no longer running; its log ends with:\n%s\n", id.c_str(),
                net.log_tail(id, 15).c_str());
  bool still_stable = true;
  for (const auto& [channel, members] : channels)
    for (const char* org : {"org1", "org2"}) still_stable &= net.settled(channel, org);
  std::printf("steady state over %.0f s: total CPU %.2f%% of one core (%.3f%% per process)\n",
              window, 100 * cpu / window, 100 * cpu / window / ids.size());
  std::printf("RSS per process: min %.1f MiB, median %.1f MiB, max %.1f MiB\n",
              percentile(rss_mib, 0), percentile(rss_mib, 0.5), percentile(rss_mib, 1));
  std::printf("still one agreed leader per (channel, org) at the end: %s\n",
              still_stable ? "yes" : "NO");
  return stable && still_stable && exited.empty() ? 0 : 1;
}

int failover(int kills) {
  PeerNetwork net({"org1"}, 5, {{"ch1", {0, 1, 2, 3, 4}}});
  net.start_all();
  std::string leader;
  // A stable view first: a member outside someone's view is ignored by its election.
  if (!PeerNetwork::wait_until(
          [&] { return net.settled("ch1", "org1", &leader) && net.views_complete("ch1", "org1"); },
          milliseconds(30000))) {
    std::printf("no stable leader at start\n");
    return 1;
  }
  const double bound_ms = 2 * 500 + 500;  // 2*LAT + LED at test timings
  std::vector<double> times;
  for (int k = 0; k < kills; ++k) {
    const auto fault = Clock::now();
    net.kill_hard(leader);
    std::string next;
    const bool ok = PeerNetwork::wait_until([&] { return net.settled("ch1", "org1", &next); },
                                            milliseconds(20000));
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - fault).count();
    std::printf("kill %2d: %s -> %s in %.0f ms%s\n", k + 1, leader.c_str(),
                ok ? next.c_str() : "(none)", ms, ms > bound_ms ? "  (over the bound)" : "");
    if (ok) times.push_back(ms);
    net.start(leader);  // bring it back as a follower for the next round
    std::string settled_leader;
    PeerNetwork::wait_until(
        [&] {
          return net.settled("ch1", "org1", &settled_leader) && net.views_complete("ch1", "org1");
        },
        milliseconds(20000));
    leader = settled_leader.empty() ? next : settled_leader;
  }
  std::printf(
      "failover over %zu kills (ms, observed by polling every 50 ms): min %.0f, median %.0f, "
      "p90 %.0f, max %.0f; bound 2*LAT+LED = %.0f ms; within bound: %zu/%zu\n",
      times.size(), percentile(times, 0), percentile(times, 0.5), percentile(times, 0.9),
      percentile(times, 1), bound_ms,
      static_cast<std::size_t>(
          std::count_if(times.begin(), times.end(), [&](double t) { return t <= bound_ms; })),
      times.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  auto flag = [&](const char* name, int fallback) {
    for (int i = 2; i + 1 < argc; ++i)
      if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
    return fallback;
  };
  if (mode == "steady") return steady(flag("--peers-per-org", 25), flag("--seconds", 300));
  if (mode == "failover") return failover(flag("--kills", 20));
  std::fprintf(stderr,
               "usage: fabnet_process_bench steady [--peers-per-org N] [--seconds S]\n"
               "       fabnet_process_bench failover [--kills K]\n");
  return 2;
}
