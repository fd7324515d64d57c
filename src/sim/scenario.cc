#include "sim/scenario.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/scenario_internal.h"

// The scenario's vocabulary and entry points. The work is split by job:
// scenario_parser.cc (YAML -> Scenario), scenario_checks.cc (cross-references,
// ranges and size limits), scenario_writer.cc (Scenario -> YAML) and
// random_scenario.cc (scenarios for --explore).

namespace fabnet::sim {

std::string_view to_string(MembershipModel model) {
  return model == MembershipModel::kIdeal ? "ideal" : "gossip";
}

std::optional<MembershipModel> membership_model_from(std::string_view name) {
  for (const MembershipModel model : {MembershipModel::kGossip, MembershipModel::kIdeal})
    if (name == to_string(model)) return model;
  return std::nullopt;
}

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
      return "crash";
    case FaultKind::kRestart:
      return "restart";
    case FaultKind::kPause:
      return "pause";
    case FaultKind::kResume:
      return "resume";
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kHeal:
      return "heal";
    case FaultKind::kSkew:
      return "skew";
    case FaultKind::kLink:
      return "link";
    case FaultKind::kOrdererDown:
      return "orderer_down";
    case FaultKind::kOrdererRefuse:
      return "orderer_refuse";
    case FaultKind::kOrdererUp:
      return "orderer_up";
  }
  return "?";
}

std::string peer_name(int index, std::string_view org_name) {
  return fmt::format("peer{}.{}", index, org_name);
}

std::string peer_endpoint(std::string_view peer_name) {
  return fmt::format("{}:7051", peer_name);
}

std::vector<PeerSpec> scenario_peers(const Scenario& scenario) {
  std::vector<PeerSpec> peers;
  for (const OrgSpec& org : scenario.orgs) {
    for (int i = 0; i < org.peers; ++i) {
      PeerSpec peer{peer_name(i, org.name), org.name, org.msp_id, {}};
      auto explicit_joins = scenario.joins.find(peer.name);
      if (explicit_joins != scenario.joins.end()) {
        peer.channels = explicit_joins->second;
      } else {
        for (const ChannelSpec& channel : scenario.channels) {
          if (std::find(channel.orgs.begin(), channel.orgs.end(), org.name) != channel.orgs.end()) {
            peer.channels.push_back(channel.name);
          }
        }
      }
      peers.push_back(std::move(peer));
    }
  }
  return peers;
}

std::vector<std::string> bootstrap_peers(const Scenario& scenario) {
  std::vector<std::string> out;
  for (const std::string& endpoint : scenario.settings.gossip.bootstrap)
    out.push_back(endpoint.substr(0, endpoint.rfind(':')));
  if (out.empty()) {
    for (const OrgSpec& org : scenario.orgs) out.push_back(peer_name(0, org.name));
  }
  return out;
}

std::optional<std::uint64_t> parse_seed(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

Scenario load_scenario_string(std::string_view yaml_text, std::string_view source) {
  detail::LineMap lines;
  Scenario s = detail::parse_scenario(yaml_text, source, lines);
  detail::check_scenario(s, detail::Reporter(std::string(source), &lines));
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  return s;
}

Scenario load_scenario_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ScenarioError(fmt::format("{}: is a directory; expected a scenario YAML file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(fmt::format("{}: cannot open the scenario file", path));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(fmt::format("{}: cannot read the scenario file", path));
  return load_scenario_string(text.str(), path);
}

std::string_view default_scenario_yaml() {
  static constexpr std::string_view kDefault =
      R"(# fabnet's default scenario: two channels, three orgs of four peers, Fabric's
# default timings with dynamic leader election, and one of each common fault.
# The last fault is early enough for the settled-state checks (settling time
# 1m45.6s plus 25.04s to confirm a violation) to fit before the end.
name: default
seed: 1
duration: 10m
network:
  orgs:
    - {name: org1, msp_id: Org1MSP, peers: 4}
    - {name: org2, msp_id: Org2MSP, peers: 4}
    - {name: org3, msp_id: Org3MSP, peers: 4}
  channels:
    - {name: channel1, orgs: [org1, org2, org3]}
    - {name: channel2, orgs: [org1, org2]}
  start_spread: 100ms
settings:
  peer:
    gossip:
      useLeaderElection: true
      orgLeader: false
      election:
        startupGracePeriod: 15s
        membershipSampleInterval: 1s
        leaderAliveThreshold: 10s
        leaderElectionDuration: 5s
      aliveTimeInterval: 5s
      aliveExpirationTimeout: 25s
      reconnectInterval: 25s
link:
  latency: 5ms
  jitter: 5ms
  loss: 0.001
  duplicate: 0.001
faults:
  # The leader of (channel1, org1) dies; the survivors elect a new one.
  - {at: 1m30s, kind: crash, leader_of: {channel: channel1, org: org1}}
  # It comes back with a new incarnation and rejoins as a follower.
  - {at: 2m30s, kind: restart}
  # org2 splits in two: each half elects its own leader until the heal.
  - {at: 3m30s, kind: partition, name: split, sides: {east: [peer0.org2, peer1.org2], west: [peer2.org2, peer3.org2]}}
  - {at: 5m, kind: heal, name: split}
  # The leader of (channel2, org2) hangs for a minute, then wakes with its old state.
  - {at: 5m45s, kind: pause, leader_of: {channel: channel2, org: org2}}
  - {at: 6m45s, kind: resume}
  # One host's clock runs 2% fast from here on.
  - {at: 7m, kind: skew, peer: peer3.org3, rate: 1.02}
)";
  return kDefault;
}

Scenario default_scenario() {
  return load_scenario_string(default_scenario_yaml(), "<default scenario>");
}

}  // namespace fabnet::sim
