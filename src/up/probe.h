#pragma once

// Reads a running network's state through each node's operations endpoint:
// /status of every peer, /metrics of the orderer.

#include "up/layout.h"
#include "up/network_file.h"
#include "up/state.h"
#include "up/view.h"

namespace fabnet::up {

// One snapshot at `t` seconds. A paused or gone process is not asked (a stopped
// process's kernel accepts the connection and never answers).
Snapshot probe(const NetworkFile& net, const Layout& layout, const UpState& state, double t);

// The orderer's ledger height of `channel` from its /metrics, or -1.
long long orderer_height(const Layout& layout, const std::string& channel);
// Whether the orderer's operations endpoint answers /metrics.
bool orderer_serves(const Layout& layout);

}  // namespace fabnet::up
