// Heap bytes per idle election instance: N dynamic instances, each with its own
// adapter, driven through start-up into the following state, counted by the
// replaced global operator new (alloc_counter.cc).

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "alloc_counter.h"
#include "bench_adapter.h"
#include "election/leader_election.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::bench {
namespace {

using election::LeaderElection;
using election::LeadershipMessage;

constexpr std::size_t kViewSize = 10;  // peers of the instance's (channel, org)

struct Peer {
  std::unique_ptr<BenchAdapter> adapter;
  std::unique_ptr<LeaderElection> election;
};

void BM_IdleInstanceMemory(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const election::ElectionTimings timings;
  const std::unordered_set<PeerId> view = make_view(kViewSize);
  std::vector<LeadershipMessage> proposals;
  for (const PeerId& id : view) proposals.push_back({id, {1, 1}, false});
  const LeadershipMessage declaration{pki_id(0), {1, 2}, true};

  HeapStats constructed, following;
  for (auto _ : state) {
    runtime::VirtualScheduler scheduler;
    std::vector<Peer> peers;
    peers.reserve(n);  // the harness's own vector is not the instances' cost

    start_heap_counting();
    for (std::size_t i = 0; i < n; ++i) {
      const PeerId self = pki_id(1000 + i);
      auto adapter = std::make_unique<BenchAdapter>(self, view);
      auto instance = std::make_unique<LeaderElection>(
          self, timings, election::LeaderMode::kDynamic, scheduler, *adapter, [](bool) {});
      peers.push_back({std::move(adapter), std::move(instance)});
    }
    constructed = stop_heap_counting();

    // A round as each peer would see it: proposals, then a declaration during
    // start-up, so the first sample ends start-up and the loop settles to following.
    start_heap_counting();
    for (Peer& p : peers) {
      p.election->start();
      for (const LeadershipMessage& m : proposals) p.election->handle_message(m);
      p.election->handle_message(declaration);
    }
    scheduler.run_for(timings.membership_sample_interval);
    following = stop_heap_counting();

    for (const Peer& p : peers)
      if (p.election->phase() != election::Phase::kFollowing) state.SkipWithError("not following");
    state.PauseTiming();  // tear-down is not what is measured
    peers.clear();
    state.ResumeTiming();
  }
  const double count = static_cast<double>(n);
  const double total = static_cast<double>(constructed.live_bytes + following.live_bytes);
  state.counters["bytes_per_instance"] = total / count;
  state.counters["bytes_constructed"] = static_cast<double>(constructed.live_bytes) / count;
  state.counters["bytes_started"] = static_cast<double>(following.live_bytes) / count;
  state.counters["blocks_per_instance"] =
      static_cast<double>(constructed.live_blocks + following.live_blocks) / count;
  state.counters["sizeof_LeaderElection"] = sizeof(LeaderElection);
  state.counters["sizeof_BenchAdapter"] = sizeof(BenchAdapter);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_IdleInstanceMemory)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fabnet::bench
