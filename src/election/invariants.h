#pragma once

#include <string>
#include <vector>

#include "election/leader_election.h"

namespace fabnet::election {

// State invariants of one instance, in the spirit of LogCabin's invariant checker:
// tests call this after every event. Returns one line per violation (empty = fine).
std::vector<std::string> check_invariants(const LeaderElection& election);

}  // namespace fabnet::election
