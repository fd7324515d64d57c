// Cost of LeaderElection::handle_message for one message from a peer in view,
// by view size. The adapter's view lookup is O(1), so the figures should not grow
// with the view beyond cache effects (README: the 1000 figure within 2x of 10).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "bench_adapter.h"
#include "election/leader_election.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::bench {
namespace {

using election::LeaderElection;
using election::LeadershipMessage;

constexpr std::uint64_t kSelf = 1ULL << 40;  // not in any view

// One dynamic instance in the state it spends nearly all its life in: started,
// a leader known, following (waiting leaderAliveThreshold).
struct FollowingInstance {
  explicit FollowingInstance(std::size_t view_size)
      : view(make_view(view_size)),
        adapter(pki_id(kSelf), view),
        election(pki_id(kSelf), timings, election::LeaderMode::kDynamic, scheduler, adapter,
                 nullptr) {
    for (std::size_t i = 0; i < view_size; ++i) {
      proposals.push_back({pki_id(i), {1, 1}, false});
      declarations.push_back({pki_id(i), {1, 2}, true});
    }
    election.start();
    election.handle_message(declarations[0]);
    scheduler.run_for(timings.membership_sample_interval);
    if (election.phase() != election::Phase::kFollowing) std::abort();
  }

  election::ElectionTimings timings;
  runtime::VirtualScheduler scheduler;  // declared before the instance: its timers point here
  std::unordered_set<PeerId> view;
  BenchAdapter adapter;
  LeaderElection election;
  std::vector<LeadershipMessage> proposals;
  std::vector<LeadershipMessage> declarations;
};

// Senders rotate through the whole view; after a warm-up lap every proposal finds
// its sender already in the set, as repeats within one round do.
void BM_HandleProposal(benchmark::State& state) {
  FollowingInstance f(static_cast<std::size_t>(state.range(0)));
  for (const LeadershipMessage& m : f.proposals) f.election.handle_message(m);
  std::size_t i = 0;
  for (auto _ : state) {
    f.election.handle_message(f.proposals[i]);
    if (++i == f.proposals.size()) i = 0;
  }
  if (f.election.proposals_held() != f.proposals.size()) state.SkipWithError("proposals lost");
  state.SetItemsProcessed(state.iterations());
}

void BM_HandleDeclaration(benchmark::State& state) {
  FollowingInstance f(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    f.election.handle_message(f.declarations[i]);
    if (++i == f.declarations.size()) i = 0;
  }
  if (!f.election.leader_exists()) state.SkipWithError("declaration not seen");
  state.SetItemsProcessed(state.iterations());
}

// As a real round goes: every peer proposes once (a fresh insert each), then a
// declaration, then the follower's timer fires and clears the set. The timer
// firing is included, so small views pay a larger share of it per message.
void BM_HandleProposalFreshRound(benchmark::State& state) {
  FollowingInstance f(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    f.election.handle_message(f.proposals[i]);
    if (++i == f.proposals.size()) {
      i = 0;
      f.election.handle_message(f.declarations[0]);
      f.scheduler.run_for(f.timings.leader_alive_threshold);
    }
  }
  if (f.election.phase() != election::Phase::kFollowing) state.SkipWithError("left following");
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_HandleProposal)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_HandleDeclaration)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_HandleProposalFreshRound)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace fabnet::bench
