#pragma once

// The simulator's entry points: the contract between the engine (scenario,
// network model, faults, invariants; src/sim/) and the `fabnet sim` command.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/sim_result.h"

namespace fabnet::sim {

struct Scenario;  // defined in sim/scenario.h

// Thrown for a bad scenario: the message names the key (e.g. faults[2].peer),
// the value and what was expected.
class ScenarioError;

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's seed
  bool check_invariants = false;      // check the settled-state invariants (explore)
  // Called now and then with the fraction of virtual time simulated (0..1).
  std::function<void(double)> progress;
  // Receives every event of the event log as one text line (debugging; slow).
  std::function<void(std::string_view)> trace;
};

SimResult run_simulation(const Scenario& scenario, const RunOptions& options);

// How long after the last fault the network must be left alone before the
// settled-state invariants are checked (documented in docs/scenario-format.md).
Duration settling_time(const Scenario& scenario);

// How long after the last fault every live peer must hold the orderer's chain
// when blocks are simulated (docs/scenario-format.md, "Blocks").
Duration block_settling_time(const Scenario& scenario);

// How long a settled-state violation must last to count: on a lossy link a
// follower that misses declarations runs an election, which briefly makes two
// leaders or none (docs/scenario-format.md, "Invariants").
Duration transient_allowance(const Scenario& scenario);

}  // namespace fabnet::sim
