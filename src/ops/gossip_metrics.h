#pragma once

#include <string_view>

#include "gossip/drop_reason.h"
#include "ops/metrics.h"

namespace fabnet::ops {

// The gossip metrics a peer exposes at /metrics, declared once so the daemon,
// comm layer and docs/operations.md agree on names, help and labels. The first
// two are Fabric's own (gossip/metrics); the comm ones add the labels fabnet counts by.
struct GossipMetrics {
  explicit GossipMetrics(MetricsRegistry& registry);

  GaugeFamily& leader;               // gossip_leader_election_leader{channel}: 1 leader, 0 not
  GaugeFamily& peers_known;          // gossip_membership_total_peers_known{channel}
  CounterFamily& messages_sent;      // gossip_comm_messages_sent{type}
  CounterFamily& messages_received;  // gossip_comm_messages_received{type}
  CounterFamily& messages_dropped;   // gossip_comm_messages_dropped{reason}
  GaugeFamily& connections;          // gossip_comm_connections: open gossip streams

  // The series of messages_dropped for `reason`; its label is drop_reason_name(reason).
  Counter& dropped(gossip::DropReason reason) {
    return messages_dropped.with({std::string(gossip::drop_reason_name(reason))});
  }
};

// The block flow at the peer (deliver client and ledger), per channel. The height is
// Fabric's own metric name; Fabric's v2.4 peer has no deliver-client metrics, so those
// are fabnet's (docs/operations.md).
struct DeliverMetrics {
  explicit DeliverMetrics(MetricsRegistry& registry);

  GaugeFamily& height;             // ledger_blockchain_height{channel}
  GaugeFamily& connected;          // deliver_client_connected{channel}: 1 stream open, else 0
  CounterFamily& blocks_received;  // deliver_client_blocks_received{channel}: verified, appended
  CounterFamily& blocks_refused;   // deliver_client_blocks_refused{channel,reason}
  CounterFamily& connects;         // deliver_client_connects{channel}
  CounterFamily& disconnects;      // deliver_client_disconnects{channel}
  CounterFamily& failures;         // deliver_client_failures{channel}: each one backs off
  CounterFamily& give_ups;         // deliver_client_give_ups{channel}: budget spent, yielded
};

// Blocks among the peers of an org (gossip push, pull, state transfer), per channel.
// The first two are Fabric's gossip/metrics StateMetrics (same names, help and label);
// Fabric counts no blocks by path, so the counters are fabnet's (docs/operations.md).
struct BlockMetrics {
  explicit BlockMetrics(MetricsRegistry& registry);

  GaugeFamily& state_height;         // gossip_state_height{channel}
  GaugeFamily& payload_buffer_size;  // gossip_payload_buffer_size{channel}
  // gossip_state_blocks_committed{channel,source}; source: orderer, push, pull,
  // state_transfer (the path that delivered the block first).
  CounterFamily& blocks_committed;
  CounterFamily& blocks_pushed;    // gossip_state_blocks_pushed{channel}: pushed or forwarded
  CounterFamily& commit_failures;  // gossip_state_commit_failures{channel}: verified, not chained
  // gossip_state_requests{channel,event}: state transfer as the asking side. event:
  // sent (every request), gap (of sent, fetches of a gap below buffered blocks),
  // gap_timeout (a gap request unanswered in gap_fetch_timeout, then asked elsewhere),
  // retry and gave_up (the periodic path, after responseTimeout), answered (requests
  // of other peers this peer answered).
  CounterFamily& state_requests;
  // gossip_state_push_events{channel,event}: what the push path did besides sending.
  // event: batch (push batches sent, one pick of peers each), holder_learned (a copy of
  // a block still waiting in the batch: its sender is skipped), tail_push (the newest
  // orderer block sent again to the org after a quiet spell), not_forwarded (a block
  // far below the newest held: committed, not forwarded).
  CounterFamily& push_events;
};

}  // namespace fabnet::ops
