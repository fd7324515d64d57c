#include "ops/gossip_metrics.h"

namespace fabnet::ops {

GossipMetrics::GossipMetrics(MetricsRegistry& registry)
    : leader(registry.gauge("gossip_leader_election_leader", "Peer is leader (1) or follower (0)",
                            {"channel"})),
      peers_known(
          registry.gauge("gossip_membership_total_peers_known", "Total known peers", {"channel"})),
      messages_sent(
          registry.counter("gossip_comm_messages_sent", "Number of messages sent", {"type"})),
      messages_received(registry.counter("gossip_comm_messages_received",
                                         "Number of messages received", {"type"})),
      messages_dropped(registry.counter("gossip_comm_messages_dropped",
                                        "Number of messages dropped", {"reason"})),
      connections(registry.gauge("gossip_comm_connections", "Number of open gossip connections")) {}

}  // namespace fabnet::ops
