#pragma once

// A simulation scenario: the network, the peer settings, the link model and a
// timeline of faults (format: docs/scenario-format.md).

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/core_config.h"
#include "runtime/scheduler.h"

namespace fabnet::sim {

using runtime::Duration;
using runtime::TimePoint;

// A bad scenario. what() names where (file and line when known), the key path
// (e.g. faults[2].peer), the value and what was expected.
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OrgSpec {
  std::string name;    // org1; peers are named peer<i>.<name>
  std::string msp_id;  // Org1MSP
  int peers = 0;
};

struct ChannelSpec {
  std::string name;
  std::vector<std::string> orgs;  // org names (OrgSpec::name)
};

// Settings from core.yaml keys that fabnet::config does not read (they only
// matter to gossip internals), kept beside the core settings.
struct GossipExtras {
  std::optional<int> msg_expiration_factor;    // peer.gossip.msgExpirationFactor
  std::optional<int> max_connection_attempts;  // peer.gossip.maxConnectionAttempts
};

// The settings every peer runs with: the `settings:` subtree of a scenario,
// holding core.yaml keys under `peer:`.
struct PeerSettings {
  config::GossipSettings gossip;  // Fabric's code defaults for keys not given
  GossipExtras extras;
  // peer.deliveryclient.reconnectTotalTimeThreshold and reConnectBackoffThreshold
  // (the leader's deliver client, when blocks are simulated).
  config::DeliveryClientSettings delivery;
};

struct LinkModel {
  Duration latency = std::chrono::milliseconds(5);  // every message
  Duration jitter = std::chrono::milliseconds(5);   // plus uniform [0, jitter]; reorders
  double loss = 0;                                  // probability a message is dropped
  double duplicate = 0;                             // probability a delivered message arrives twice
};

// The fields a `link` fault changes; absent ones keep their value.
struct LinkChange {
  std::optional<Duration> latency;
  std::optional<Duration> jitter;
  std::optional<double> loss;
  std::optional<double> duplicate;
};

// The orderer kinds act on the simulated ordering service of `channel` (every
// channel when empty): down (dials fail, open streams break), refuse (every seek
// is answered with `status`, open streams get it too), up (both end).
enum class FaultKind {
  kCrash,
  kRestart,
  kPause,
  kResume,
  kPartition,
  kHeal,
  kSkew,
  kLink,
  kOrdererDown,
  kOrdererRefuse,
  kOrdererUp
};
std::string_view to_string(FaultKind kind);

// Whoever leads (channel, org) when the fault applies.
struct LeaderOf {
  std::string channel;
  std::string org;  // org name or MSP ID
  friend bool operator==(const LeaderOf&, const LeaderOf&) = default;
};

// Peers named directly and/or as the leader of a (channel, org), resolved when
// the fault applies: a group without a leader then adds nobody, one with
// several leaders (a partition) adds them all.
struct PeerSet {
  std::vector<std::string> peers;
  std::vector<LeaderOf> leaders_of;
  bool empty() const { return peers.empty() && leaders_of.empty(); }
  friend bool operator==(const PeerSet&, const PeerSet&) = default;
};

struct Fault {
  Duration at{0};
  FaultKind kind = FaultKind::kCrash;
  // Targets of crash, restart, pause, resume, skew, link. Empty for
  // restart/resume: every peer crashed/paused at that moment; for link: every link.
  std::vector<std::string> peers;
  std::optional<LeaderOf> leader_of;  // instead of `peers` (crash, pause, skew, link)
  // partition: an optional label that heal can name; heal: "" heals all.
  std::string name;
  // partition: named sides; peers on different sides cannot reach each other,
  // unlisted peers form one more side.
  std::vector<std::pair<std::string, PeerSet>> sides;
  // partition, one way: messages from `from` to `to` are cut, the reverse passes.
  PeerSet one_way_from;
  PeerSet one_way_to;
  double rate = 1.0;  // skew: the peers' clock rate (1.05 = 5% fast)
  // link: the fields it changes; with `peers`/`leader_of`, only on messages from
  // or to those peers; with `pair` (two entries of one peer or leader each), only
  // between those two.
  LinkChange link;
  std::vector<PeerSet> pair;
  // restart: the peer comes back with an empty ledger (its disk was lost).
  bool empty_ledger = false;
  // orderer_down / orderer_refuse / orderer_up: the channel ("" = every channel).
  std::string channel;
  // orderer_refuse: the status every seek gets (common.Status name).
  std::string status = "SERVICE_UNAVAILABLE";
  bool is_one_way() const { return !one_way_from.empty(); }
};

// How peers learn who is alive in their (channel, org) (docs/scenario-format.md,
// "Membership models").
enum class MembershipModel {
  kGossip,  // Fabric's: alive messages, membership sync, StateInfo; the full node
  kIdeal,   // from the simulator's ground truth; only the elections run (sim/election_peer.h)
};
std::string_view to_string(MembershipModel model);
// The model named `name` ("gossip" or "ideal"); nullopt for any other name.
std::optional<MembershipModel> membership_model_from(std::string_view name);

// The simulated ordering service (docs/scenario-format.md, "Blocks"): one per
// channel, cutting blocks at a steady rate from `from` until `until`, each of
// `envelopes` transactions of `envelope_bytes`, reached by each org's leader
// over a connection with `orderer_latency`. Disabled: no orderer, no ledgers,
// the run is the election-and-membership simulation it always was.
struct BlockSpec {
  bool enabled = false;
  double rate = 10;  // blocks per second per channel
  int envelopes = 10;
  int envelope_bytes = 1024;
  Duration from = std::chrono::seconds(0);
  std::optional<Duration> until;  // cut until the end of the run when absent
  Duration orderer_latency = std::chrono::milliseconds(5);
  std::vector<std::string> channels;  // empty: every channel
  // How often the blocks-behind series samples every peer's height.
  Duration sample_interval = std::chrono::seconds(1);
  bool covers(std::string_view channel) const {
    if (!enabled) return false;
    if (channels.empty()) return true;
    for (const std::string& c : channels)
      if (c == channel) return true;
    return false;
  }
};

struct Scenario {
  std::string name = "scenario";
  MembershipModel membership = MembershipModel::kGossip;
  std::uint64_t seed = 1;
  Duration duration = std::chrono::minutes(10);
  std::vector<OrgSpec> orgs;
  std::vector<ChannelSpec> channels;
  // Explicit channel membership per peer; a peer not listed joins every channel
  // its org is a member of.
  std::map<std::string, std::vector<std::string>> joins;
  // When each peer starts (docs/scenario-format.md, "Start times"): peer k in
  // scenario order at k x start_step plus a seeded random offset in
  // [0, start_spread]; a peer listed in start_at at that time instead.
  Duration start_spread{0};
  Duration start_step{0};
  std::map<std::string, Duration> start_at;
  // Bootstrap peers start at 0, before the others: no peer then waits a whole
  // reconnectInterval for a bootstrap peer that was not up yet.
  bool bootstrap_first = false;
  PeerSettings settings;
  LinkModel link;
  BlockSpec blocks;
  std::vector<Fault> faults;  // sorted by `at` (stable)
};

// A peer of the scenario, in a fixed order: orgs as listed, peers by index.
struct PeerSpec {
  std::string name;  // peer0.org1
  std::string org;   // org name
  std::string msp_id;
  std::vector<std::string> channels;  // joined at start
};
std::vector<PeerSpec> scenario_peers(const Scenario& scenario);
std::string peer_name(int index, std::string_view org_name);  // peer<index>.<org>
std::string peer_endpoint(std::string_view peer_name);        // <name>:7051
// The peers others bootstrap from: settings' bootstrap list, or each org's peer0.
std::vector<std::string> bootstrap_peers(const Scenario& scenario);

// The seed syntax of both the scenario file and --seed: decimal digits only, no
// sign, exponent or fraction, at most 2^64-1.
std::optional<std::uint64_t> parse_seed(std::string_view text);
inline constexpr std::string_view kExpectSeed = "a whole number from 0 to 18446744073709551615";

// The size of a scenario's topology and the memory a run of it is estimated to
// need in its membership model (docs/scenario-format.md, "Limits").
struct TopologySize {
  std::uint64_t peers = 0;
  std::uint64_t memberships = 0;  // (peer, channel) pairs: election instances
  std::uint64_t largest_group = 0;
  double estimated_bytes = 0;
};
inline constexpr std::uint64_t kMaxPeers = 200'000;
inline constexpr std::uint64_t kMaxMemberships = 2'000'000;
inline constexpr double kMaxEstimatedBytes = 16.0 * (1ULL << 30);
// Computed from the orgs, channels and joins alone (no per-peer allocation).
TopologySize measure_topology(const Scenario& scenario);
// Throws ScenarioError naming the limit a scenario exceeds, before anything is built.
void check_topology(const Scenario& scenario, std::string_view source = "scenario");

// Parses and validates a scenario. `source` names the text in errors (a file
// path or "<default scenario>"). Throws ScenarioError.
Scenario load_scenario_string(std::string_view yaml_text, std::string_view source);
Scenario load_scenario_file(const std::string& path);

// Checks the cross-references of a scenario built in code (load_* call it).
void validate_scenario(const Scenario& scenario, std::string_view source = "scenario");

// YAML that loads back into an equal scenario (used for reproducers).
std::string to_yaml(const Scenario& scenario);

// The scenario `fabnet sim` runs without arguments.
std::string_view default_scenario_yaml();
Scenario default_scenario();

// A small random scenario with fast timings for `--explore`: 1-3 channels,
// 1-4 orgs of 1-8 peers, faults in the first part of the run, everything
// healed and resumed at the end, and enough time left to settle and check.
Scenario random_scenario(std::uint64_t seed);

}  // namespace fabnet::sim
