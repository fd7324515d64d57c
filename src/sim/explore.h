#pragma once

// `fabnet sim --explore`: many random scenarios, each checked for the
// settled-state invariants; a failure comes back with the YAML that replays it.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace fabnet::sim {

struct ExploreFailure {
  std::uint64_t seed = 0;     // random_scenario(seed) reproduces the run
  std::string scenario_yaml;  // to_yaml of that scenario: `fabnet sim FILE` replays it
  std::vector<std::string> violations;
};

struct ExploreResult {
  int runs = 0;
  std::vector<ExploreFailure> failures;
  std::uint64_t events = 0;  // scheduler events over all runs
  double wall_seconds = 0;
  bool passed() const { return failures.empty(); }
};

// Runs random_scenario(base_seed + i) for i in [0, count) with invariant
// checks, in the given membership model. `progress` (optional) is called after
// each run with (done, count).
ExploreResult explore(int count, std::uint64_t base_seed,
                      const std::function<void(int done, int total)>& progress = {},
                      MembershipModel membership = MembershipModel::kGossip);

}  // namespace fabnet::sim
