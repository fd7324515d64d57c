// The metrics registry and its Prometheus text exposition (format 0.0.4).

#include "ops/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ops/gossip_metrics.h"

namespace fabnet::ops {
namespace {

TEST(Metrics, GaugeRendersHelpTypeAndLabelledSamples) {
  MetricsRegistry registry;
  auto& leader = registry.gauge("gossip_leader_election_leader",
                                "Peer is leader (1) or follower (0)", {"channel"});
  leader.with({"mychannel"}).set(1);
  leader.with({"another"}).set(0);
  EXPECT_EQ(registry.render_prometheus(),
            "# HELP gossip_leader_election_leader Peer is leader (1) or follower (0)\n"
            "# TYPE gossip_leader_election_leader gauge\n"
            "gossip_leader_election_leader{channel=\"another\"} 0\n"
            "gossip_leader_election_leader{channel=\"mychannel\"} 1\n");
}

TEST(Metrics, CounterCountsUpAndRendersAsCounter) {
  MetricsRegistry registry;
  auto& sent = registry.counter("gossip_comm_messages_sent", "Number of messages sent", {"type"});
  sent.with({"alive_msg"}).inc();
  sent.with({"alive_msg"}).inc(2);
  sent.with({"leadership_msg"}).inc();
  EXPECT_EQ(sent.with({"alive_msg"}).value(), 3);
  EXPECT_EQ(registry.render_prometheus(),
            "# HELP gossip_comm_messages_sent Number of messages sent\n"
            "# TYPE gossip_comm_messages_sent counter\n"
            "gossip_comm_messages_sent{type=\"alive_msg\"} 3\n"
            "gossip_comm_messages_sent{type=\"leadership_msg\"} 1\n");
}

TEST(Metrics, CounterRefusesToGoDown) {
  Counter counter;
  EXPECT_THROW(counter.inc(-1), std::invalid_argument);
  EXPECT_THROW(counter.inc(std::nan("")), std::invalid_argument);
  EXPECT_EQ(counter.value(), 0);
}

TEST(Metrics, FamiliesAreSortedByNameForStableOutput) {
  MetricsRegistry registry;
  registry.gauge("zeta", "z").with().set(1);
  registry.counter("alpha", "a").with().inc();
  registry.gauge("mid", "m", {"a", "b"}).with({"2", "x"}).set(5);
  registry.gauge("mid", "m", {"a", "b"}).with({"10", "x"}).set(6);
  EXPECT_EQ(registry.render_prometheus(),
            "# HELP alpha a\n# TYPE alpha counter\nalpha 1\n"
            "# HELP mid m\n# TYPE mid gauge\nmid{a=\"10\",b=\"x\"} 6\nmid{a=\"2\",b=\"x\"} 5\n"
            "# HELP zeta z\n# TYPE zeta gauge\nzeta 1\n");
}

TEST(Metrics, UnlabelledMetricRendersZeroBeforeFirstUse) {
  MetricsRegistry registry;
  registry.gauge("gossip_comm_connections", "Number of open gossip connections");
  EXPECT_EQ(registry.render_prometheus(),
            "# HELP gossip_comm_connections Number of open gossip connections\n"
            "# TYPE gossip_comm_connections gauge\ngossip_comm_connections 0\n");
}

TEST(Metrics, LabelledMetricWithoutSeriesRendersNothing) {
  MetricsRegistry registry;
  registry.gauge("gossip_membership_total_peers_known", "Total known peers", {"channel"});
  EXPECT_EQ(registry.render_prometheus(), "");
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  registry.gauge("g", "line one\nback\\slash \"quoted\"", {"l"}).with({"a\"b\\c\nd"}).set(1);
  EXPECT_EQ(registry.render_prometheus(),
            "# HELP g line one\\nback\\\\slash \"quoted\"\n# TYPE g gauge\n"
            "g{l=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, ValuesUseGoFloatSpelling) {
  MetricsRegistry registry;
  auto& g = registry.gauge("g", "h", {"k"});
  g.with({"a"}).set(0.5);
  g.with({"b"}).set(std::numeric_limits<double>::infinity());
  g.with({"c"}).set(-std::numeric_limits<double>::infinity());
  g.with({"d"}).set(std::nan(""));
  g.with({"e"}).set(12345678);
  g.with({"f"}).set(-3);
  EXPECT_EQ(registry.render_prometheus(),
            "# HELP g h\n# TYPE g gauge\n"
            "g{k=\"a\"} 0.5\ng{k=\"b\"} +Inf\ng{k=\"c\"} -Inf\ng{k=\"d\"} NaN\n"
            "g{k=\"e\"} 12345678\ng{k=\"f\"} -3\n");
}

TEST(Metrics, GaugeGoesUpAndDown) {
  Gauge g;
  g.add(3);
  g.add(-1);
  EXPECT_EQ(g.value(), 2);
  g.set(7);
  EXPECT_EQ(g.value(), 7);
}

TEST(Metrics, RemovedSeriesDisappears) {
  MetricsRegistry registry;
  auto& g = registry.gauge("g", "h", {"channel"});
  g.with({"a"}).set(1);
  g.with({"b"}).set(1);
  g.remove({"a"});
  EXPECT_EQ(registry.render_prometheus(), "# HELP g h\n# TYPE g gauge\ng{channel=\"b\"} 1\n");
}

TEST(Metrics, SameDeclarationReturnsTheSameFamily) {
  MetricsRegistry registry;
  auto& first = registry.counter("c", "help", {"type"});
  auto& second = registry.counter("c", "help", {"type"});
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(&first.with({"x"}), &second.with({"x"}));
}

TEST(Metrics, ConflictingDeclarationsAreRefused) {
  MetricsRegistry registry;
  registry.counter("c", "help", {"type"});
  EXPECT_THROW(registry.gauge("c", "help", {"type"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("c", "other help", {"type"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("c", "help", {"reason"}), std::invalid_argument);
}

TEST(Metrics, InvalidNamesAreRefused) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.gauge("", "h"), std::invalid_argument);
  EXPECT_THROW(registry.gauge("1abc", "h"), std::invalid_argument);
  EXPECT_THROW(registry.gauge("a-b", "h"), std::invalid_argument);
  EXPECT_THROW(registry.gauge("ok", "h", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.gauge("ok", "h", {"a:b"}), std::invalid_argument);
  EXPECT_THROW(registry.gauge("ok", "h", {"a", "a"}), std::invalid_argument);
  EXPECT_NO_THROW(registry.gauge("name:with_colon", "h", {"_ok1"}));
}

TEST(Metrics, WrongNumberOfLabelValuesIsRefused) {
  MetricsRegistry registry;
  auto& g = registry.gauge("g", "h", {"channel"});
  EXPECT_THROW(g.with(), std::invalid_argument);
  EXPECT_THROW(g.with({"a", "b"}), std::invalid_argument);
  try {
    g.with({"a", "b"});
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "metric g: 2 label values [a, b]; expected one per label [channel]");
  }
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  auto& c = registry.counter("c", "h", {"type"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.with({"x"}).inc();
    });
  }
  std::thread reader([&registry] {
    for (int i = 0; i < 100; ++i) registry.render_prometheus();
  });
  for (auto& t : threads) t.join();
  reader.join();
  EXPECT_EQ(c.with({"x"}).value(), 40000);
}

TEST(GossipMetrics, DeclaresFabricsNamesAndLabels) {
  MetricsRegistry registry;
  GossipMetrics metrics(registry);
  metrics.leader.with({"mychannel"}).set(1);
  metrics.peers_known.with({"mychannel"}).set(5);
  metrics.messages_sent.with({"alive_msg"}).inc();
  metrics.messages_received.with({"leadership_msg"}).inc();
  metrics.dropped(gossip::DropReason::kQueueFull).inc();
  metrics.connections.with().set(2);
  const std::string text = registry.render_prometheus();
  for (const char* line : {
           "gossip_leader_election_leader{channel=\"mychannel\"} 1\n",
           "gossip_membership_total_peers_known{channel=\"mychannel\"} 5\n",
           "gossip_comm_messages_sent{type=\"alive_msg\"} 1\n",
           "gossip_comm_messages_received{type=\"leadership_msg\"} 1\n",
           "gossip_comm_messages_dropped{reason=\"queue_full\"} 1\n",
           "gossip_comm_connections 2\n",
           "# TYPE gossip_leader_election_leader gauge\n",
           "# TYPE gossip_comm_messages_dropped counter\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nnot in\n" << text;
  }
  // A second declaration (e.g. by another component) shares the same series.
  GossipMetrics again(registry);
  EXPECT_EQ(&again.leader, &metrics.leader);
}

TEST(BlockMetrics, DeclaresFabricsStateMetricsAndTheBlockCounters) {
  MetricsRegistry registry;
  BlockMetrics metrics(registry);
  metrics.state_height.with({"mychannel"}).set(42);
  metrics.payload_buffer_size.with({"mychannel"}).set(3);
  metrics.blocks_committed.with({"mychannel", "state_transfer"}).inc(7);
  metrics.blocks_pushed.with({"mychannel"}).inc();
  metrics.push_events.with({"mychannel", "holder_learned"}).inc(2);
  const std::string text = registry.render_prometheus();
  for (const char* line : {
           "# HELP gossip_state_height Current ledger height\n",
           "gossip_state_height{channel=\"mychannel\"} 42\n",
           "# HELP gossip_payload_buffer_size Size of the payload buffer\n",
           "gossip_payload_buffer_size{channel=\"mychannel\"} 3\n",
           "gossip_state_blocks_committed{channel=\"mychannel\",source=\"state_transfer\"} 7\n",
           "gossip_state_blocks_pushed{channel=\"mychannel\"} 1\n",
           "gossip_state_push_events{channel=\"mychannel\",event=\"holder_learned\"} 2\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nnot in\n" << text;
  }
}

}  // namespace
}  // namespace fabnet::ops
