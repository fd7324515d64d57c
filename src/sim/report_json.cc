// report.json: everything in a result, durations in seconds and nanoseconds.

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "config/duration.h"
#include "sim/report.h"
#include "sim/report_internal.h"
#include "sim/scenario.h"

namespace fabnet::sim {

using namespace detail;
using nlohmann::json;

namespace {

void put_duration(json& j, const std::string& name, Duration d) {
  j[name + "_s"] = to_seconds(d);
  j[name + "_ns"] = d.count();
}

void put_duration(json& j, const std::string& name, const std::optional<Duration>& d) {
  if (d) {
    put_duration(j, name, *d);
  } else {
    j[name + "_s"] = nullptr;
    j[name + "_ns"] = nullptr;
  }
}

// docs/simulator.md, "Blocks".
json blocks_json(const SimResult& r) {
  json j;
  j["orderer_heights"] = r.orderer_heights;
  j["chain_checked"] = r.chain_checked;
  j["chain_check_exact"] = r.chain_check_exact;
  j["groups"] = json::array();
  for (const BlockGroupReport& b : r.blocks) {
    json g{{"channel", b.channel},
           {"org", b.org},
           {"blocks_cut", b.blocks_cut},
           {"blocks_complete", b.blocks_complete}};
    put_duration(g, "propagation_p50", b.propagation_p50);
    put_duration(g, "propagation_p99", b.propagation_p99);
    put_duration(g, "propagation_max", b.propagation_max);
    json propagation = json::array();
    for (const std::optional<Duration>& d : b.propagation) {
      propagation.push_back(d ? json(d->count()) : json(nullptr));
    }
    g["propagation_ns"] = std::move(propagation);
    g["gaps"] = json::array();
    for (const BlockGap& gap : b.gaps) {
      json x{{"blocks_cut", gap.blocks_cut}, {"max_behind", gap.max_behind}};
      put_duration(x, "from", gap.from);
      put_duration(
          x, "leader_after",
          gap.leader_at ? std::optional<Duration>(*gap.leader_at - gap.from) : std::nullopt);
      put_duration(
          x, "caught_up_after",
          gap.caught_up_at ? std::optional<Duration>(*gap.caught_up_at - gap.from) : std::nullopt);
      g["gaps"].push_back(std::move(x));
    }
    const double blocks = static_cast<double>(std::max<std::uint64_t>(b.blocks_cut, 1));
    const double peers = static_cast<double>(std::max<std::size_t>(b.peers.size(), 1));
    g["traffic"] = json::object();
    for (const auto& [type, t] : b.traffic) {
      g["traffic"][type] = {
          {"messages", t.messages},
          {"bytes", t.bytes},
          {"messages_per_block", static_cast<double>(t.messages) / blocks},
          {"messages_per_block_per_peer", static_cast<double>(t.messages) / blocks / peers},
          {"bytes_per_block", static_cast<double>(t.bytes) / blocks}};
    }
    put_duration(g, "sample_interval", b.sample_interval);
    g["peers"] = json::array();
    for (const PeerBlockSeries& p : b.peers) {
      g["peers"].push_back({{"peer", p.peer},
                            {"final_height", p.final_height},
                            {"max_behind", p.max_behind},
                            {"behind", p.behind},
                            {"height", p.height}});
    }
    j["groups"].push_back(std::move(g));
  }
  return j;
}

json group_json(const GroupReport& g) {
  json j;
  j["channel"] = g.channel;
  j["org"] = g.org;
  j["peers"] = g.peers;
  put_duration(j, "time_to_first_leader", g.time_to_first_leader);
  j["changes"] = json::array();
  for (const LeadershipChangeRecord& c : g.changes) {
    json change{{"peer", c.peer}, {"is_leader", c.is_leader}};
    put_duration(change, "at", c.at);
    j["changes"].push_back(std::move(change));
  }
  j["spans"] = json::array();
  for (const LeaderSpan& s : g.spans) {
    json span{{"peer", s.peer}};
    put_duration(span, "from", s.from);
    put_duration(span, "to", s.to);
    j["spans"].push_back(std::move(span));
  }
  j["failovers"] = json::array();
  for (const FailoverRecord& f : g.failovers) {
    json failover{
        {"cause", f.cause},
        {"old_leader", f.old_leader},
        {"new_leader", f.recovered_at || f.leader_kept ? json(f.new_leader) : json(nullptr)},
        {"recovered", f.recovered_at.has_value()},
        {"leader_kept", f.leader_kept}};
    put_duration(failover, "fault_at", f.fault_at);
    put_duration(failover, "recovered_at", f.recovered_at);
    put_duration(failover, "duration", f.duration());
    j["failovers"].push_back(std::move(failover));
  }
  put_duration(j, "time_without_leader", g.time_without_leader);
  put_duration(j, "time_with_several_leaders", g.time_with_several_leaders);
  j["leaders_at_end"] = g.leaders_at_end;
  return j;
}

}  // namespace

json to_json(const SimResult& r) {
  json j;
  j["scenario"] = r.scenario_name;
  j["seed"] = r.seed;
  j["membership"] = to_string(r.membership);
  j["peers"] = r.peers;
  put_duration(j, "duration", r.duration);
  j["events"] = r.events;
  j["event_log_hash"] = r.event_log_hash;
  j["wall_seconds"] = r.wall_seconds;
  j["groups"] = json::array();
  for (const GroupReport& g : r.groups) j["groups"].push_back(group_json(g));
  j["faults"] = json::array();
  for (const FaultMark& f : r.faults) {
    json fault{{"kind", f.kind}, {"peers", f.peers}, {"description", f.description}};
    put_duration(fault, "at", f.at);
    j["faults"].push_back(std::move(fault));
  }
  json messages;
  messages["by_type"] = json::object();
  std::uint64_t total_count = 0;
  std::uint64_t total_bytes = 0;
  for (const std::string& type : message_types(r.messages)) {
    const std::uint64_t count = lookup(r.messages.count, type);
    const std::uint64_t bytes = lookup(r.messages.bytes, type);
    total_count += count;
    total_bytes += bytes;
    messages["by_type"][type] = {
        {"count", count},
        {"bytes", bytes},
        {"per_peer_per_second", per_peer_second(static_cast<double>(count), r)},
        {"bytes_per_peer_per_second", per_peer_second(static_cast<double>(bytes), r)}};
  }
  messages["total_count"] = total_count;
  messages["total_bytes"] = total_bytes;
  messages["lost"] = r.messages.lost;
  messages["duplicated"] = r.messages.duplicated;
  messages["blocked"] = r.messages.blocked;
  messages["unroutable"] = r.messages.unroutable;
  j["messages"] = std::move(messages);
  j["violations"] = r.violations;
  if (!r.blocks.empty()) j["blocks"] = blocks_json(r);
  return j;
}

json to_json(const FailoverStats& s) {
  json j{{"cause", s.cause}, {"count", s.count}, {"not_recovered", s.not_recovered}};
  put_duration(j, "min", s.min);
  put_duration(j, "median", s.median);
  put_duration(j, "p90", s.p90);
  put_duration(j, "max", s.max);
  return j;
}

json to_json(const FailoverBound& b) {
  json j;
  put_duration(j, "low", b.low);
  put_duration(j, "high", b.high);
  return j;
}

}  // namespace fabnet::sim
