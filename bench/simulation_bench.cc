// Simulator throughput: many (channel, org) groups on one virtual clock with
// Fabric's default timings, measured in virtual seconds per wall second.

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/virtual_scheduler.h"
#include "sim/election_cluster.h"

namespace fabnet::bench {
namespace {

using Clock = std::chrono::steady_clock;

// range(0) groups of range(1) peers, each peer starting at a random offset within
// leaderAliveThreshold, run for ten virtual minutes: the first half-minute elects,
// the rest is the steady state of declarations and follower timers.
void BM_SimulateGroups(benchmark::State& state) {
  const int groups = static_cast<int>(state.range(0));
  const int peers = static_cast<int>(state.range(1));
  const runtime::Duration span = std::chrono::minutes(10);

  double wall_s = 0, virtual_s = 0, events = 0, delivered = 0;
  std::size_t groups_with_one_leader = 0;
  for (auto _ : state) {
    runtime::VirtualScheduler scheduler;
    std::vector<std::unique_ptr<sim::ElectionCluster>> clusters;
    std::mt19937_64 random(42);
    for (int g = 0; g < groups; ++g) {
      sim::ClusterOptions options;
      options.org = "Org" + std::to_string(g) + "MSP";
      options.seed = static_cast<std::uint64_t>(g);
      auto cluster = std::make_unique<sim::ElectionCluster>(scheduler, options);
      const auto lat_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              options.timings.leader_alive_threshold)
                              .count();
      for (int p = 0; p < peers; ++p) {
        const std::string id = "peer" + std::to_string(p);
        cluster->add_peer(id);
        const auto offset = std::chrono::milliseconds(
            static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(lat_ms)));
        scheduler.schedule(offset, [c = cluster.get(), id] { c->start(id); });
      }
      clusters.push_back(std::move(cluster));
    }

    const std::uint64_t events_before = scheduler.events_fired();
    const auto begin = Clock::now();
    scheduler.run_for(span);
    const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
    state.SetIterationTime(elapsed);

    wall_s += elapsed;
    virtual_s += std::chrono::duration<double>(span).count();
    events += static_cast<double>(scheduler.events_fired() - events_before);
    groups_with_one_leader = 0;
    for (const auto& c : clusters) {
      delivered += static_cast<double>(c->messages_delivered());
      if (c->leaders().size() == 1) ++groups_with_one_leader;
    }
    clusters.clear();  // before the scheduler, as ElectionCluster requires
  }
  if (groups_with_one_leader != static_cast<std::size_t>(groups))
    state.SkipWithError("a group did not end with exactly one leader");
  state.counters["virtual_s_per_wall_s"] = virtual_s / wall_s;
  state.counters["events_per_s"] = events / wall_s;
  state.counters["messages_per_s"] = delivered / wall_s;
  state.counters["instances"] = groups * peers;
}

BENCHMARK(BM_SimulateGroups)
    ->Args({1000, 10})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fabnet::bench
