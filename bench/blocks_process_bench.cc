// Blocks across peer processes on loopback (issue 10 §4): a fabnet orderer and one
// org of 10 `fabnet peer` processes on one channel, blocks of 10 × 1 KB envelopes
// (MaxMessageCount 10, BatchTimeout 200 ms). For each offered block rate, the
// propagation time of every block from "written at the orderer" to "committed at
// the last of the 10 peers" (p50, p99, max), and whether every peer kept up.
//
//   fabnet_blocks_process_bench [--peers N] [--seconds S] [--rates 10,100,1000]
//                               [--burst-latency 10ms] [--burst-size 10]
//                               [--timings fabric|test]
//
// Times come from the processes' own log lines (the orderer's "wrote block [n]"
// and each peer's "committed block [n]", both at debug, millisecond stamps from
// the one system clock), so the bench adds no traffic of its own. A second line per
// rate splits the path of blocks a follower missed by push at the moment it saw the
// hole (its "block [b] arrived while block [a] is missing"). A third says what the
// load cost in CPU: per block at each peer and at the orderer, and how busy the
// whole machine was (from /proc), since on a small machine a busy CPU, not the
// protocol, sets the tail.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "peer_network.h"

namespace {

using fabnet::testing::NetworkTimings;
using fabnet::testing::PeerNetwork;
using namespace std::chrono_literals;
constexpr char kChannel[] = "mychannel";

// The sum over all peers of each `family{labels}` counter of /metrics, keyed
// "family{labels}" without the channel label.
void add_counters(const std::string& metrics, const std::vector<std::string>& families,
                  std::map<std::string, double>& sums) {
  const std::string channel_label = fmt::format("channel=\"{}\",", kChannel);
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    for (const std::string& family : families) {
      if (line.rfind(family + "{", 0) != 0) continue;
      const auto space = line.rfind(' ');
      std::string key = line.substr(0, space);
      if (auto channel = key.find(channel_label); channel != std::string::npos)
        key.erase(channel, channel_label.size());
      sums[key] += std::stod(line.substr(space + 1));
    }
  }
}

// CPU time (user + system) a process has used so far, in seconds; 0 if it is gone.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto name_end = text.rfind(')');  // the command name may hold spaces
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(text.substr(name_end + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field && i <= 15; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The machine's busy and total CPU time so far (all cores), from /proc/stat.
std::pair<double, double> machine_cpu_seconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  double busy = 0, total = 0, value = 0;
  for (int i = 0; i < 8 && stat >> value; ++i) {  // user nice system idle iowait irq softirq steal
    total += value;
    if (i != 3 && i != 4) busy += value;
  }
  const auto tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return {busy / tick, total / tick};
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

// Milliseconds since the epoch of a "YYYY-MM-DD HH:MM:SS.mmm" log stamp, or -1.
double stamp_ms(const std::string& line) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(line.c_str(), "%d-%d-%d %d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

// Block number -> time of the first log line containing `marker` followed by "[n]".
std::map<std::uint64_t, double> times_in(const std::filesystem::path& log,
                                         const std::string& marker) {
  std::map<std::uint64_t, double> out;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find(marker);
    if (at == std::string::npos) continue;
    const auto open = line.find('[', at + marker.size());
    if (open == std::string::npos) continue;
    const std::uint64_t number = std::strtoull(line.c_str() + open + 1, nullptr, 10);
    const double t = stamp_ms(line);
    if (t >= 0) out.emplace(number, t);
  }
  return out;
}

// What one peer's log says of its blocks: when each was committed and how, and the
// holes it saw in the pushed blocks ("block [b] arrived while block [a] is missing").
struct PeerLog {
  std::map<std::uint64_t, std::pair<double, std::string>> commits;  // n -> (time, source)
  struct Hole {
    std::uint64_t first, end;  // [first, end) missing when `end` arrived
    double seen;
  };
  std::vector<Hole> holes;
};

PeerLog read_peer_log(const std::filesystem::path& log) {
  PeerLog out;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const double t = stamp_ms(line);
    if (t < 0) continue;
    unsigned long long a = 0, b = 0;
    char source[32] = {};
    if (const auto at = line.find("committed block ["); at != std::string::npos) {
      if (std::sscanf(line.c_str() + at, "committed block [%llu] (%31[a-z_])", &a, source) == 2)
        out.commits.emplace(a, std::make_pair(t, std::string(source)));
    } else if (const auto hole = line.find("] arrived while block ["); hole != std::string::npos) {
      const auto open = line.rfind("block [", hole);
      if (open != std::string::npos &&
          std::sscanf(line.c_str() + open, "block [%llu] arrived while block [%llu]", &b, &a) == 2)
        out.holes.push_back({a, b, t});
    }
  }
  return out;
}

std::vector<int> parse_rates(const std::string& text) {
  std::vector<int> rates;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) rates.push_back(std::stoi(item));
  return rates;
}

}  // namespace

int main(int argc, char** argv) {
  int peers = 10, seconds = 5;
  std::string rates_text = "10,100,1000", burst_latency = "10ms", burst_size = "10";
  std::string timings_name = "fabric";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--peers")
      peers = std::stoi(value);
    else if (flag == "--seconds")
      seconds = std::stoi(value);
    else if (flag == "--rates")
      rates_text = value;
    else if (flag == "--burst-latency")
      burst_latency = value;
    else if (flag == "--burst-size")
      burst_size = value;
    else if (flag == "--timings") {
      if (value != "fabric" && value != "test") {
        std::fprintf(stderr, "--timings %s: want fabric or test\n", value.c_str());
        return 2;
      }
      timings_name = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const std::vector<int> rates = parse_rates(rates_text);

  // Election and membership: Fabric's defaults (core.yaml), or Fabric's test timings,
  // which settle in a second but cost each idle peer ~5 % of a core here in alive
  // messages and leader declarations (10 and 4 a second, each signed and verified).
  NetworkTimings timings =
      timings_name == "fabric" ? NetworkTimings::fabric_defaults() : NetworkTimings();
  timings.extra_gossip = "    maxPropagationBurstLatency: " + burst_latency +
                         "\n    maxPropagationBurstSize: " + burst_size + "\n";
  std::vector<int> members;
  for (int i = 0; i < peers; ++i) members.push_back(i);
  PeerNetwork net({"org1"}, peers, {{kChannel, members}}, timings, /*with_orderer=*/true);
  net.peer_logging_spec = "gossip.state=debug:info";
  ::setenv("FABRIC_LOGGING_SPEC", "orderer=debug:info", 1);  // the orderer inherits it
  net.start_orderer();
  net.start_all();
  const std::vector<std::string> ids = net.members(kChannel, "org1");
  if (!PeerNetwork::wait_until(
          [&] { return net.settled(kChannel, "org1") && net.views_complete(kChannel, "org1"); },
          90s)) {
    std::fprintf(stderr, "the org did not settle\n");
    return 1;
  }
  auto all_at = [&](long long height) {
    for (const std::string& id : ids)
      if (net.height(id, kChannel) != height) return false;
    return true;
  };
  std::printf(
      "blocks process bench: 1 org x %d peers, 1 channel, blocks of 10 x 1 KB, "
      "maxPropagationBurstLatency %s, maxPropagationBurstSize %s, %s timings for the "
      "election and membership\n",
      peers, burst_latency.c_str(), burst_size.c_str(),
      timings_name == "fabric" ? "Fabric's default" : "Fabric's test");
  std::printf(
      "| offered blocks/s | achieved blocks/s | blocks | p50 ms | p99 ms | max ms | "
      "last peer at the orderer's height after the load |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const int rate : rates) {
    const long long from = net.orderer_height(kChannel);
    const auto cpu_of_peers = [&] {
      std::vector<double> each;
      for (const std::string& id : ids) each.push_back(cpu_seconds(net.peer(id).pid));
      return each;
    };
    const std::vector<double> peers_cpu_before = cpu_of_peers();
    const double orderer_cpu_before = cpu_seconds(net.orderer_pid());
    const auto machine_before = machine_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    const int status = net.broadcast(kChannel, rate * 10 * seconds, rate * 10);
    const double load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::vector<double> peers_cpu_after = cpu_of_peers();
    const double orderer_cpu = cpu_seconds(net.orderer_pid()) - orderer_cpu_before;
    const auto machine_after = machine_cpu_seconds();
    // Let the last partial block be cut (BatchTimeout) before reading the target.
    std::this_thread::sleep_for(300ms);
    const long long to = net.orderer_height(kChannel);
    const auto done = std::chrono::steady_clock::now();
    const bool caught_up = PeerNetwork::wait_until([&] { return all_at(to); }, 60s);
    const double catch_up_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - done).count();

    const auto written = times_in(net.root() / "orderer" / "log", "wrote block");
    // Each peer's log, read once: its commits (and their sources) and the holes it saw.
    std::vector<PeerLog> logs;
    for (const std::string& id : ids) logs.push_back(read_peer_log(net.peer(id).dir / "log"));
    const auto in_run = [&](std::uint64_t n) {
      return static_cast<long long>(n) >= from && static_cast<long long>(n) < to;
    };
    // Block -> its commit at the last peer (time, source), and how many peers have it.
    std::map<std::uint64_t, std::pair<double, std::string>> slowest;
    std::map<std::uint64_t, int> peers_with;
    for (const PeerLog& log : logs)
      for (const auto& [n, commit] : log.commits) {
        if (!in_run(n)) continue;
        auto& last = slowest[n];
        if (commit.first >= last.first) last = commit;
        ++peers_with[n];
      }
    std::vector<double> propagation;
    for (const auto& [n, last] : slowest) {
      const auto w = written.find(n);
      if (w != written.end() && peers_with[n] == peers)
        propagation.push_back(last.first - w->second);
    }
    // No block at every peer yet: no figure, rather than a 0 that reads as instant.
    const auto figure = [&propagation](double value) {
      return propagation.empty() ? std::string("—") : std::to_string(std::lround(value));
    };
    std::printf(
        "| %d | %.0f | %lld | %s | %s | %s | %s |%s\n", rate,
        static_cast<double>(to - from) / load_s, to - from,
        figure(percentile(propagation, 0.5)).c_str(), figure(percentile(propagation, 0.99)).c_str(),
        figure(propagation.empty() ? 0.0
                                   : *std::max_element(propagation.begin(), propagation.end()))
            .c_str(),
        caught_up ? (std::to_string(static_cast<long long>(catch_up_ms)) + " ms").c_str()
                  : "not within 60 s",
        status == 0 ? "" : " (broadcast client failed)");
    // The missed-push path: a follower that missed a block by push sees the hole only
    // when a later block arrives, then fetches it (state transfer). Split that path's
    // time at the moment the hole is seen.
    std::vector<double> to_hole, hole_to_commit;
    std::size_t by_state = 0, pairs = 0, slow = 0, slow_by_state = 0;
    for (const PeerLog& log : logs) {
      for (const auto& [n, commit] : log.commits) {
        const auto w = written.find(n);
        if (!in_run(n) || w == written.end()) continue;
        ++pairs;
        if (commit.second != "state_transfer") continue;
        ++by_state;
        for (const PeerLog::Hole& hole : log.holes) {
          if (hole.first > n || n >= hole.end) continue;
          to_hole.push_back(hole.seen - w->second);
          hole_to_commit.push_back(commit.first - hole.seen);
          break;
        }
      }
    }
    for (const auto& [n, last] : slowest) {
      const auto w = written.find(n);
      if (w == written.end() || last.first - w->second <= 50) continue;
      ++slow;
      if (last.second == "state_transfer") ++slow_by_state;
    }
    std::printf(
        "  missed pushes: %zu of %zu (peer, block) pairs came by state transfer; orderer -> "
        "hole seen p50 %.0f / p99 %.0f ms, hole seen -> committed p50 %.0f / p99 %.0f ms; "
        "%zu blocks reached the last peer after 50 ms, %zu of them by state transfer there\n",
        by_state, pairs, percentile(to_hole, 0.5), percentile(to_hole, 0.99),
        percentile(hole_to_commit, 0.5), percentile(hole_to_commit, 0.99), slow, slow_by_state);
    // CPU over the load (the broadcast client's run), per block of the run.
    const long long cut_in_load = std::max(to - from, 1LL);
    std::vector<double> per_block_ms;
    for (std::size_t i = 0; i < ids.size(); ++i)
      per_block_ms.push_back((peers_cpu_after[i] - peers_cpu_before[i]) * 1000.0 /
                             static_cast<double>(cut_in_load));
    const double busy = machine_after.first - machine_before.first;
    const double total = machine_after.second - machine_before.second;
    const double cores = total > 0 ? total / load_s : 0;
    std::printf(
        "  CPU over the load (%.1f s): a peer %.2f ms per block (p50 of the peers; %.2f at "
        "most), the orderer %.2f ms per block; the machine %.0f %% busy (%.1f of %.0f "
        "cores, the load client included)\n",
        load_s, percentile(per_block_ms, 0.5),
        *std::max_element(per_block_ms.begin(), per_block_ms.end()),
        orderer_cpu * 1000.0 / static_cast<double>(cut_in_load),
        total > 0 ? 100.0 * busy / total : 0.0, busy / load_s, cores);
    // What the peers counted so far (all rates up to this one): how blocks came, the
    // state requests, and every message a peer dropped, by reason.
    std::map<std::string, double> sums;
    for (const std::string& id : ids)
      add_counters(net.metrics(id),
                   {"gossip_state_blocks_committed", "gossip_state_requests",
                    "gossip_comm_messages_dropped"},
                   sums);
    std::string summary;
    for (const auto& [key, value] : sums)
      if (value > 0) summary += fmt::format("{}{} {:.0f}", summary.empty() ? "" : ", ", key, value);
    std::printf("  peers' counters so far: %s\n", summary.c_str());
    std::fflush(stdout);
  }
  return 0;
}
