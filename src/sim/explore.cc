#include "sim/explore.h"

#include <chrono>

#include "sim/simulation.h"

namespace fabnet::sim {

ExploreResult explore(int count, std::uint64_t base_seed,
                      const std::function<void(int done, int total)>& progress,
                      MembershipModel membership) {
  const auto wall_start = std::chrono::steady_clock::now();
  ExploreResult result;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t seed = base_seed + static_cast<std::uint64_t>(i);
    Scenario scenario = random_scenario(seed);
    scenario.membership = membership;
    if (membership == MembershipModel::kIdeal && scenario.blocks.enabled) {
      // The ideal model runs the elections alone: no blocks (scenario-format.md).
      scenario.blocks.enabled = false;
      std::erase_if(scenario.faults, [](const Fault& f) {
        return f.kind == FaultKind::kOrdererDown || f.kind == FaultKind::kOrdererRefuse ||
               f.kind == FaultKind::kOrdererUp;
      });
    }
    RunOptions options;
    options.check_invariants = true;
    SimResult run = run_simulation(scenario, options);
    ++result.runs;
    result.events += run.events;
    if (!run.violations.empty()) {
      result.failures.push_back(ExploreFailure{seed, to_yaml(scenario), std::move(run.violations)});
    }
    if (progress) progress(i + 1, count);
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace fabnet::sim
