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

}  // namespace fabnet::ops
