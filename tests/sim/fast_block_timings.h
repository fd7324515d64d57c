#pragma once

// Fast timings for simulated scenarios that carry blocks: shared by the block tests
// and bench/sim_blocks_bench.cc (no test framework here, so the bench can use it).

#include <string>

namespace fabnet::sim::testing {

// The election and membership timings of sim_test_util.h's kFastSettings, plus fast
// pull and state transfer. `state_enabled` is peer.gossip.state.enabled.
inline std::string fast_block_settings(bool state_enabled = true) {
  return std::string(R"(settings:
  peer:
    gossip:
      useLeaderElection: true
      orgLeader: false
      election:
        startupGracePeriod: 5s
        membershipSampleInterval: 1s
        leaderAliveThreshold: 1s
        leaderElectionDuration: 500ms
      aliveTimeInterval: 500ms
      aliveExpirationTimeout: 2.5s
      reconnectInterval: 2.5s
      pullInterval: 500ms
      digestWaitTime: 100ms
      requestWaitTime: 200ms
      responseWaitTime: 300ms
      publishStateInfoInterval: 100ms
      requestStateInfoInterval: 100ms
      publishCertPeriod: 1h
      state:
        enabled: )") +
         (state_enabled ? "true" : "false") + R"(
        checkInterval: 1s
        responseTimeout: 1s
)";
}

}  // namespace fabnet::sim::testing
