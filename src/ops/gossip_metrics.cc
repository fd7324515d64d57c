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

DeliverMetrics::DeliverMetrics(MetricsRegistry& registry)
    : height(registry.gauge("ledger_blockchain_height", "Height of the chain in blocks.",
                            {"channel"})),
      connected(registry.gauge("deliver_client_connected",
                               "Deliver stream to an orderer open (1) or not (0)", {"channel"})),
      blocks_received(registry.counter("deliver_client_blocks_received",
                                       "Blocks received from the orderer, verified and appended",
                                       {"channel"})),
      blocks_refused(registry.counter("deliver_client_blocks_refused",
                                      "Blocks from the orderer refused, by reason",
                                      {"channel", "reason"})),
      connects(registry.counter("deliver_client_connects", "Deliver streams the orderer accepted",
                                {"channel"})),
      disconnects(registry.counter("deliver_client_disconnects",
                                   "Accepted deliver streams that ended", {"channel"})),
      failures(registry.counter("deliver_client_failures",
                                "Deliver failures (status, refused block, dial or stream failure)",
                                {"channel"})),
      give_ups(registry.counter("deliver_client_give_ups",
                                "Reconnect budget spent by a dynamic leader, which then yielded",
                                {"channel"})) {}

BlockMetrics::BlockMetrics(MetricsRegistry& registry)
    : state_height(registry.gauge("gossip_state_height", "Current ledger height", {"channel"})),
      payload_buffer_size(
          registry.gauge("gossip_payload_buffer_size", "Size of the payload buffer", {"channel"})),
      blocks_committed(registry.counter(
          "gossip_state_blocks_committed",
          "Blocks committed, by the path that brought them (orderer, push, pull, state_transfer)",
          {"channel", "source"})),
      blocks_pushed(registry.counter("gossip_state_blocks_pushed",
                                     "Blocks pushed or forwarded to peers of my org", {"channel"})),
      commit_failures(registry.counter("gossip_state_commit_failures",
                                       "Verified blocks the ledger refused (they did not chain)",
                                       {"channel"})),
      state_requests(registry.counter(
          "gossip_state_requests",
          "State transfer requests by event (sent, gap, gap_timeout, retry, gave_up, answered)",
          {"channel", "event"})),
      push_events(
          registry.counter("gossip_state_push_events",
                           "Push path events (batch, holder_learned, tail_push, not_forwarded)",
                           {"channel", "event"})) {}

}  // namespace fabnet::ops
