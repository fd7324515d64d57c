#include "sim/simulation.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "config/duration.h"
#include "deliver/deliver_client.h"
#include "election/invariants.h"
#include "node/node.h"
#include "sim/election_peer.h"
#include "sim/full_peer.h"
#include "sim/network.h"
#include "sim/random.h"
#include "sim/scenario.h"
#include "sim/sim_blocks.h"
#include "sim/sim_crypto.h"
#include "sim/skewed_scheduler.h"

namespace fabnet::sim {

Duration settling_time(const Scenario& s) {
  const config::GossipSettings& g = s.settings.gossip;
  const Duration state_info =
      std::max(g.publish_state_info_interval, g.request_state_info_interval);
  const Duration pull = g.pull_interval;
  const election::ElectionTimings& e = g.election;
  // docs/scenario-format.md, "Settling time", explains each term.
  const Duration membership = g.alive_expiration_timeout + g.alive_expiration_timeout / 10 +
                              g.reconnect_interval + g.alive_time_interval + pull + state_info;
  const Duration election =
      e.startup_grace_period + 2 * e.leader_alive_threshold + e.leader_election_duration;
  double slowest_clock = 1.0;
  Duration worst_latency = s.link.latency + s.link.jitter;
  for (const Fault& f : s.faults) {
    if (f.kind == FaultKind::kSkew) slowest_clock = std::min(slowest_clock, f.rate);
    if (f.kind == FaultKind::kLink) {
      worst_latency = std::max(worst_latency, f.link.latency.value_or(s.link.latency) +
                                                  f.link.jitter.value_or(s.link.jitter));
    }
  }
  const double timers = static_cast<double>((membership + election).count()) / slowest_clock;
  return Duration(static_cast<std::int64_t>(timers)) + 10 * worst_latency;
}

Duration block_settling_time(const Scenario& s) {
  const config::GossipSettings& g = s.settings.gossip;
  // docs/scenario-format.md, "Blocks" explains each term: the elections and
  // membership settle, then a state-transfer round (its check interval and every
  // retry's timeout), a pull round, and the deliver client's next retry after the
  // longest orderer outage (backoff 1.2^n x 100 ms: about a fifth of the time
  // already waited), plus 10 s for the catch-up itself.
  Duration longest_outage{0};
  Duration outage_from{-1};  // negative: no outage open
  for (const Fault& f : s.faults) {
    if (f.kind == FaultKind::kOrdererDown || f.kind == FaultKind::kOrdererRefuse) {
      if (outage_from < Duration::zero()) outage_from = f.at;
    } else if (f.kind == FaultKind::kOrdererUp && outage_from >= Duration::zero()) {
      longest_outage = std::max(longest_outage, f.at - outage_from);
      outage_from = Duration{-1};
    }
  }
  const Duration retry = std::min<Duration>(s.settings.delivery.reconnect_backoff_threshold,
                                            longest_outage / 5 + std::chrono::seconds(1));
  const Duration state =
      2 * g.state_check_interval + (g.state_max_retries + 1) * g.state_response_timeout;
  const Duration pull =
      g.pull_interval + g.digest_wait_time + g.request_wait_time + g.response_wait_time;
  return settling_time(s) + state + pull + retry + 10 * s.blocks.orderer_latency +
         std::chrono::seconds(10);
}

Duration transient_allowance(const Scenario& s) {
  const election::ElectionTimings& e = s.settings.gossip.election;
  Duration worst_latency = s.link.latency + s.link.jitter;
  for (const Fault& f : s.faults) {
    if (f.kind == FaultKind::kLink) {
      worst_latency = std::max(worst_latency, f.link.latency.value_or(s.link.latency) +
                                                  f.link.jitter.value_or(s.link.jitter));
    }
  }
  // A follower notices a missing declaration within 2 LAT, its election round
  // takes LED, and the loser steps down on the next declaration it receives.
  return 2 * e.leader_alive_threshold + e.leader_election_duration + 4 * worst_latency;
}

namespace {

using config::format_duration;

// Stands for the wall clock at virtual time 0 when stamping inc_num.
constexpr std::uint64_t kWallClockEpochNs = 1'700'000'000'000'000'000ULL;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
  return splitmix64(splitmix64(seed ^ splitmix64(a)) ^ b);
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

class Simulation;

// Forwards one peer's callbacks to the simulation, from either peer logic.
class PeerEvents final : public SimPeerEvents, public node::NodeObserver {
 public:
  PeerEvents(Simulation& sim, PeerIndex peer) : sim_(sim), peer_(peer) {}
  void on_leadership_change(const std::string& channel, bool is_leader) override;
  void on_election_event(const std::string& channel, election::ElectionEvent event) override;
  void on_drop(const gossip::SignedGossip& message, std::string_view reason) override;

  // node::NodeObserver
  void on_leadership_change(const node::Node&, const std::string& channel,
                            bool is_leader) override {
    on_leadership_change(channel, is_leader);
  }
  void on_election_event(const node::Node&, const std::string& channel,
                         election::ElectionEvent event) override {
    on_election_event(channel, event);
  }
  void on_drop(const node::Node&, const gossip::SignedGossip& message,
               std::string_view reason) override {
    on_drop(message, reason);
  }
  void on_member_change(const node::Node&, const gossip::PeerId& peer, bool alive) override;

 private:
  Simulation& sim_;
  PeerIndex peer_;
};

enum class PeerState { kNotStarted, kRunning, kPaused, kCrashed };

// One channel's blocks at one peer: the ledger (it survives a crash, as a disk
// does) and, while the peer runs, the deliver client its leadership starts.
struct PeerChannel {
  std::string channel;
  std::size_t orderer = 0;  // index into Simulation::orderers_
  std::size_t group = 0;    // index into Simulation::groups_
  std::unique_ptr<PeerChannelLedger> ledger;
  ChainWatch watch;
  // Blocks 0 .. counted-1 already counted toward propagation (a wiped ledger
  // that commits them again does not count twice).
  std::uint64_t counted = 0;
  std::unique_ptr<OrdererLink> link;
  std::unique_ptr<deliver::DeliverClient> client;
};

struct PeerLedgers final : node::LedgerProvider {
  std::vector<PeerChannel> channels;
  PeerChannel* find(const std::string& channel) {
    for (PeerChannel& c : channels)
      if (c.channel == channel) return &c;
    return nullptr;
  }
  node::ChannelLedger* ledger_for(const std::string& channel) override {
    PeerChannel* c = find(channel);
    return c ? c->ledger.get() : nullptr;
  }
};

struct PeerSlot {
  PeerSpec spec;
  PeerIndex index = 0;
  std::string endpoint;
  std::unique_ptr<SimCrypto> crypto;
  std::unique_ptr<SkewedScheduler> clock;  // the host's clock: survives restarts
  std::unique_ptr<PeerEvents> events;
  std::unique_ptr<SimPeer> node;  // FullPeer or ElectionPeer, by the membership model
  PeerState state = PeerState::kNotStarted;
  std::uint64_t incarnation = 0;
  bool dying = false;                    // callbacks from a node being destroyed are ignored
  std::set<std::string> leading;         // channels whose election says "leader"
  std::vector<std::size_t> groups;       // indices into Simulation::groups_
  std::vector<std::size_t> positions;    // its position among each group's members
  std::unique_ptr<PeerLedgers> ledgers;  // nullptr without blocks
};

// What is recorded about the blocks of one (channel, org) group.
struct GroupBlocks {
  std::size_t orderer = 0;
  std::vector<std::uint32_t> holders;  // per block: members that committed it
  std::vector<std::optional<Duration>> propagation;
  std::uint64_t complete = 0;
  std::optional<std::size_t> open_gap;  // index into gaps, until caught up
  std::uint64_t gap_target = 0;         // orderer height when the leader came back
  std::vector<BlockGap> gaps;
  std::map<std::string, BlockTraffic> traffic;
  std::vector<PeerBlockSeries> series;  // per member
};

// One (channel, org) election group and what is being recorded about it.
struct Group {
  std::string channel;
  std::string msp_id;
  std::vector<PeerIndex> members;
  std::set<PeerIndex> leaders;  // effective: up and leading
  TimePoint accounted_until{0};
  std::map<PeerIndex, TimePoint> open_spans;
  std::optional<std::size_t> open_failover;  // index into report.failovers
  GroupReport report;
  std::unique_ptr<GroupBlocks> blocks;  // nullptr when the channel has no orderer
};

class Simulation final : public GroupView {
 public:
  Simulation(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario),
        options_(options),
        seed_(options.seed.value_or(scenario.seed)),
        network_(scheduler_, derive_seed(seed_, 0x6e6574), scenario.link, log_) {
    validate_scenario(scenario_, scenario_.name);
    if (options_.trace) log_.set_sink(options_.trace);
  }

  ~Simulation() {
    // Deliver clients go before the nodes and orderers, nodes before their
    // clocks, clocks before the shared scheduler.
    finishing_ = true;
    for (PeerSlot& p : peers_) stop_delivery(p);
    for (PeerSlot& p : peers_) p.node.reset();
    for (PeerSlot& p : peers_) p.clock.reset();
  }

  SimResult run();

  void on_leadership(PeerIndex peer, const std::string& channel, bool is_leader);
  bool ignoring(PeerIndex peer) const { return finishing_ || peers_[peer].dying; }
  EventLog& log() { return log_; }
  TimePoint now() const { return scheduler_.now(); }

  // GroupView: the idealised membership (membership: ideal).
  bool is_member(std::size_t group, const gossip::PeerId& peer) const override;
  std::optional<std::size_t> member_position(std::size_t group,
                                             const gossip::PeerId& peer) const override;
  std::size_t group_size(std::size_t group) const override { return groups_[group].members.size(); }
  bool sees(PeerIndex self, std::size_t group, const gossip::PeerId& peer) const override;
  std::size_t seen_count(PeerIndex self, std::size_t group) const override;
  void for_each_seen(
      PeerIndex self, std::size_t group,
      const std::function<void(const gossip::PeerId&, const std::string&)>& visit) const override;

 private:
  void build();
  void build_blocks();
  void start_delivery(PeerSlot& peer);
  void stop_delivery(PeerSlot& peer);
  void wipe_ledgers(PeerSlot& peer);
  void on_cut(std::size_t orderer, std::uint64_t number);
  void on_commit(PeerIndex peer, std::size_t channel, std::uint64_t number);
  void on_block_traffic(PeerIndex sender, const gossip::MessagePtr& message);
  void track_gap(Group& group);
  // Every up member of `group` holds at least `height` blocks.
  bool caught_up(const Group& group, std::uint64_t height) const;
  std::uint64_t worst_behind(const Group& group) const;
  void sample_blocks();
  void watch_ledgers();
  void check_chains(SimResult& result);
  std::string apply_orderer(const Fault& fault);
  bool orderer_reachable(PeerIndex peer) const {
    for (const Cut& cut : network_.cuts())
      if (!cut.one_way && cut.side[peer] != Cut::kRestSide) return false;
    return true;
  }
  node::NodeSettings settings_for(const PeerSlot& peer) const;
  ElectionPeerSettings election_settings_for(const PeerSlot& peer) const;
  // The ideal model's ground truth: `other` is up and its messages reach `self`,
  // directly or forwarded by up peers (one way is enough: that is how alive
  // messages make a peer known in Fabric).
  bool can_see(PeerIndex self, PeerIndex other) const {
    if (self == other || !network_.is_up(other)) return false;
    if (!network_.partitioned() || !network_.blocked(other, self)) return true;
    return relayed(other, self);
  }
  bool relayed(PeerIndex from, PeerIndex to) const;
  // Bumped whenever reachability may change (cuts, peers up or down).
  void topology_changed() { ++topology_version_; }
  // The index of `peer` if it is a member of `group`.
  std::optional<PeerIndex> member_index(std::size_t group, const gossip::PeerId& peer) const;
  std::vector<std::string> bootstrap_for(const PeerSlot& peer) const;

  void start_peer(PeerSlot& peer, std::string_view why);
  bool crash_peer(PeerSlot& peer);
  bool pause_peer(PeerSlot& peer);
  bool resume_peer(PeerSlot& peer);

  void apply(const Fault& fault);
  std::vector<PeerIndex> resolve_targets(const Fault& fault, std::string& note);
  // The current leaders of a (channel, org); `note` says whose, or that none led.
  std::vector<PeerIndex> leaders_of(const LeaderOf& leader_of, std::string& note) const;
  // A peer set resolved now; `note` gathers what each leader_of resolved to.
  std::vector<PeerIndex> resolve(const PeerSet& set, std::string& note) const;
  std::string names(const std::vector<PeerIndex>& peers) const;
  Cut make_cut(const Fault& fault, std::string& description, std::vector<std::string>& touched);
  std::string apply_link(const Fault& fault);

  bool is_up(PeerIndex peer) const { return peers_[peer].state == PeerState::kRunning; }
  std::set<PeerIndex> effective_leaders(const Group& group) const;
  void refresh(Group& group);
  void account(Group& group);
  void start_failover(Group& group, const std::string& cause, const std::string& old_leader);
  void note_leader_kept(Group& group, const std::string& cause, const std::string& leader);
  void check_recovery(Group& group);

  void check_settled();
  std::vector<std::string> settled_problems(const Group& group) const;
  void finish(SimResult& result);

  const Scenario& scenario_;
  const RunOptions& options_;
  std::uint64_t seed_;
  runtime::VirtualScheduler scheduler_;
  EventLog log_;
  SimNetwork network_;
  std::vector<node::ChannelDefinition> channel_definitions_;
  std::vector<PeerSlot> peers_;
  std::vector<Group> groups_;
  std::vector<std::unique_ptr<SimOrderer>> orderers_;
  std::vector<std::vector<std::size_t>> orderer_groups_;  // per orderer: its groups
  std::map<std::pair<std::string, std::string>, std::size_t> group_index_;  // (channel, MSP ID)
  std::optional<TimePoint> chain_check_from_;  // the tail's start, when the run has one
  std::vector<FaultMark> fault_marks_;
  std::vector<std::string> violations_;
  bool finishing_ = false;
  std::uint64_t topology_version_ = 1;
  // Reachability between classes of peers that every cut treats alike (few, as
  // cuts are sets), recomputed when the topology changed.
  struct Reachability {
    std::uint64_t version = 0;
    std::vector<std::size_t> class_of;  // per peer
    std::vector<std::vector<bool>> reach;
  };
  mutable Reachability reachability_;
};

void PeerEvents::on_leadership_change(const std::string& channel, bool is_leader) {
  if (sim_.ignoring(peer_)) return;
  sim_.on_leadership(peer_, channel, is_leader);
}
void PeerEvents::on_election_event(const std::string& channel, election::ElectionEvent event) {
  if (sim_.ignoring(peer_)) return;
  sim_.log().record(sim_.now(), peer_, election::to_string(event), channel);
}
void PeerEvents::on_drop(const gossip::SignedGossip& message, std::string_view reason) {
  if (sim_.ignoring(peer_)) return;
  sim_.log().record(sim_.now(), peer_, "drop", reason,
                    static_cast<std::uint64_t>(message.message.content_case()));
}
void PeerEvents::on_member_change(const node::Node&, const gossip::PeerId& peer, bool alive) {
  if (sim_.ignoring(peer_)) return;
  sim_.log().record(sim_.now(), peer_, alive ? "member_alive" : "member_dead", peer);
}

void Simulation::build() {
  for (const ChannelSpec& channel : scenario_.channels) {
    node::ChannelDefinition definition{channel.name, {}};
    for (const std::string& org : channel.orgs) {
      for (const OrgSpec& o : scenario_.orgs) {
        if (o.name == org) definition.orgs.push_back(o.msp_id);
      }
    }
    channel_definitions_.push_back(std::move(definition));
  }
  std::vector<PeerSpec> specs = scenario_peers(scenario_);
  peers_.resize(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    PeerSlot& p = peers_[i];
    p.spec = std::move(specs[i]);
    p.crypto = std::make_unique<SimCrypto>(p.spec.msp_id, p.spec.name);
    p.clock = std::make_unique<SkewedScheduler>(scheduler_);
    p.endpoint = peer_endpoint(p.spec.name);
    p.index = network_.add_peer(p.spec.name, p.crypto->identity(), p.endpoint, p.spec.name);
    p.events = std::make_unique<PeerEvents>(*this, p.index);
  }
  for (const ChannelSpec& channel : scenario_.channels) {
    for (const std::string& org : channel.orgs) {
      Group g;
      g.channel = channel.name;
      for (const OrgSpec& o : scenario_.orgs) {
        if (o.name == org) g.msp_id = o.msp_id;
      }
      for (const PeerSlot& p : peers_) {
        if (p.spec.org == org && std::find(p.spec.channels.begin(), p.spec.channels.end(),
                                           channel.name) != p.spec.channels.end()) {
          g.members.push_back(p.index);
        }
      }
      if (g.members.empty()) continue;  // nobody runs this election
      g.report.channel = g.channel;
      g.report.org = g.msp_id;
      for (PeerIndex m : g.members) g.report.peers.push_back(peers_[m].spec.name);
      for (std::size_t i = 0; i < g.members.size(); ++i) {
        peers_[g.members[i]].groups.push_back(groups_.size());
        peers_[g.members[i]].positions.push_back(i);
      }
      group_index_[{g.channel, g.msp_id}] = groups_.size();
      groups_.push_back(std::move(g));
    }
  }
  if (scenario_.blocks.enabled) build_blocks();
}

std::vector<std::string> Simulation::bootstrap_for(const PeerSlot& peer) const {
  const std::string self = peer_endpoint(peer.spec.name);
  std::vector<std::string> out;
  if (!scenario_.settings.gossip.bootstrap.empty()) {
    for (const std::string& e : scenario_.settings.gossip.bootstrap) {
      if (e != self) out.push_back(e);
    }
    return out;
  }
  // The org's first peer; the first peer itself bootstraps from the second.
  const std::string first = peer_endpoint(peer_name(0, peer.spec.org));
  if (first != self) return {first};
  for (const OrgSpec& org : scenario_.orgs) {
    if (org.name == peer.spec.org && org.peers > 1) return {peer_endpoint(peer_name(1, org.name))};
  }
  return {};
}

node::NodeSettings Simulation::settings_for(const PeerSlot& peer) const {
  const config::GossipSettings& g = scenario_.settings.gossip;
  const GossipExtras& x = scenario_.settings.extras;
  node::NodeSettings s;
  s.self.pki_id = peer.spec.name;
  s.self.identity = peer.crypto->identity();
  s.self.org = peer.spec.msp_id;
  s.self.endpoint = peer_endpoint(peer.spec.name);
  s.self.external_endpoint = s.self.endpoint;  // visible to the other orgs of its channels
  s.self.inc_num = kWallClockEpochNs + static_cast<std::uint64_t>(scheduler_.now().count());

  discovery::DiscoverySettings& d = s.discovery;
  d.alive_time_interval = g.alive_time_interval;
  d.alive_expiration_timeout = g.alive_expiration_timeout;
  d.reconnect_interval = g.reconnect_interval;
  d.pull_interval = g.pull_interval;
  d.pull_peer_num = s.pull_peer_num = g.pull_peer_num;
  d.propagate_peer_num = s.propagate_peer_num = g.propagate_peer_num;
  d.publish_cert_period = g.publish_cert_period;
  if (x.msg_expiration_factor) d.msg_expiration_factor = *x.msg_expiration_factor;
  if (x.max_connection_attempts) d.max_connection_attempts = *x.max_connection_attempts;
  d.bootstrap = bootstrap_for(peer);

  s.election = g.election;
  s.leader_mode = g.leader_mode();
  s.publish_state_info_interval = g.publish_state_info_interval;
  s.request_state_info_interval = g.request_state_info_interval;
  node::BlockSettings& b = s.blocks;
  b.block_buffer_size = static_cast<std::size_t>(g.state_block_buffer_size);
  b.pull.pull_interval = g.pull_interval;
  b.pull.pull_peer_num = static_cast<std::size_t>(g.pull_peer_num);
  b.pull.digest_wait_time = g.digest_wait_time;
  b.pull.request_wait_time = g.request_wait_time;
  b.pull.response_wait_time = g.response_wait_time;
  b.pull.max_block_count_to_store = static_cast<std::size_t>(g.max_block_count_to_store);
  b.state.enabled = g.state_enabled;
  b.state.check_interval = g.state_check_interval;
  b.state.response_timeout = g.state_response_timeout;
  b.state.batch_size = static_cast<std::uint64_t>(g.state_batch_size);
  b.state.max_retries = g.state_max_retries;
  s.channels = channel_definitions_;
  s.join_at_start = peer.spec.channels;
  s.seed = derive_seed(seed_, peer.index + 1, peer.incarnation);
  return s;
}

ElectionPeerSettings Simulation::election_settings_for(const PeerSlot& peer) const {
  ElectionPeerSettings s;
  s.pki_id = peer.spec.name;
  s.index = peer.index;
  s.org = peer.spec.msp_id;
  s.timings = scenario_.settings.gossip.election;
  s.mode = scenario_.settings.gossip.leader_mode();
  for (std::size_t g : peer.groups) s.groups.emplace(groups_[g].channel, g);
  s.wall_clock_ns_at_start = kWallClockEpochNs + static_cast<std::uint64_t>(now().count());
  return s;
}

std::optional<PeerIndex> Simulation::member_index(std::size_t group,
                                                  const gossip::PeerId& peer) const {
  const std::optional<PeerIndex> p = network_.find(peer);
  if (!p) return std::nullopt;
  const std::vector<std::size_t>& groups = peers_[*p].groups;
  if (std::find(groups.begin(), groups.end(), group) == groups.end()) return std::nullopt;
  return p;
}

std::optional<std::size_t> Simulation::member_position(std::size_t group,
                                                       const gossip::PeerId& peer) const {
  const std::optional<PeerIndex> p = network_.find(peer);
  if (!p) return std::nullopt;
  const std::vector<std::size_t>& groups = peers_[*p].groups;
  const auto it = std::find(groups.begin(), groups.end(), group);
  if (it == groups.end()) return std::nullopt;
  return peers_[*p].positions[static_cast<std::size_t>(it - groups.begin())];
}

bool Simulation::is_member(std::size_t group, const gossip::PeerId& peer) const {
  return member_index(group, peer).has_value();
}

bool Simulation::sees(PeerIndex self, std::size_t group, const gossip::PeerId& peer) const {
  const std::optional<PeerIndex> p = member_index(group, peer);
  return p && can_see(self, *p);
}

std::size_t Simulation::seen_count(PeerIndex self, std::size_t group) const {
  const std::vector<PeerIndex>& members = groups_[group].members;
  return static_cast<std::size_t>(
      std::count_if(members.begin(), members.end(), [&](PeerIndex m) { return can_see(self, m); }));
}

void Simulation::for_each_seen(
    PeerIndex self, std::size_t group,
    const std::function<void(const gossip::PeerId&, const std::string&)>& visit) const {
  for (PeerIndex m : groups_[group].members) {
    if (can_see(self, m)) visit(peers_[m].spec.name, peers_[m].endpoint);
  }
}

bool Simulation::relayed(PeerIndex from, PeerIndex to) const {
  Reachability& r = reachability_;
  if (r.version != topology_version_) {
    r.version = topology_version_;
    std::map<std::vector<int>, std::size_t> classes;
    std::vector<PeerIndex> representative;
    std::vector<bool> has_up;
    r.class_of.assign(peers_.size(), 0);
    for (PeerIndex p = 0; p < peers_.size(); ++p) {
      std::vector<int> signature;
      for (const Cut& cut : network_.cuts()) {
        signature.push_back(cut.one_way ? (cut.from[p] ? 1 : 0) | (cut.to[p] ? 2 : 0)
                                        : cut.side[p]);
      }
      const auto [it, added] = classes.emplace(std::move(signature), classes.size());
      if (added) {
        representative.push_back(p);
        has_up.push_back(false);
      }
      r.class_of[p] = it->second;
      if (network_.is_up(p)) has_up[it->second] = true;
    }
    const std::size_t k = classes.size();
    r.reach.assign(k, std::vector<bool>(k, false));
    for (std::size_t a = 0; a < k; ++a)
      for (std::size_t b = 0; b < k; ++b)
        r.reach[a][b] = !network_.blocked(representative[a], representative[b]);
    // Paths through classes that have an up peer to forward.
    for (std::size_t via = 0; via < k; ++via) {
      if (!has_up[via]) continue;
      for (std::size_t a = 0; a < k; ++a)
        if (r.reach[a][via])
          for (std::size_t b = 0; b < k; ++b)
            if (r.reach[via][b]) r.reach[a][b] = true;
    }
  }
  return r.reach[r.class_of[from]][r.class_of[to]];
}

void Simulation::start_peer(PeerSlot& p, std::string_view why) {
  topology_changed();
  ++p.incarnation;
  p.state = PeerState::kRunning;
  p.leading.clear();
  if (scenario_.membership == MembershipModel::kIdeal) {
    p.node =
        std::make_unique<ElectionPeer>(election_settings_for(p), *p.clock,
                                       network_.transport(p.index), *p.crypto, *this, *p.events);
  } else {
    auto full = std::make_unique<FullPeer>(settings_for(p), *p.clock, network_.transport(p.index),
                                           *p.crypto, p.events.get());
    if (p.ledgers) full->node().set_ledger_provider(p.ledgers.get());
    p.node = std::move(full);
    start_delivery(p);
  }
  network_.attach(p.index, p.node.get());
  log_.record(now(), p.index, why, p.spec.name, p.incarnation);
  p.node->start();
  for (std::size_t g : p.groups) refresh(groups_[g]);
}

bool Simulation::crash_peer(PeerSlot& p) {
  if (p.state == PeerState::kCrashed) return false;
  const bool was_started = p.state != PeerState::kNotStarted;
  p.state = PeerState::kCrashed;  // a peer not started yet never starts
  topology_changed();
  if (!was_started) return true;
  network_.attach(p.index, nullptr);
  p.dying = true;
  stop_delivery(p);
  p.node.reset();  // the process dies: all its state is lost (but its ledger)
  p.dying = false;
  p.clock->cancel_all();
  p.clock->resume();
  p.leading.clear();
  for (std::size_t g : p.groups) refresh(groups_[g]);
  return true;
}

bool Simulation::pause_peer(PeerSlot& p) {
  if (p.state != PeerState::kRunning) return false;
  p.state = PeerState::kPaused;
  topology_changed();
  p.clock->pause();
  network_.set_paused(p.index, true);
  for (std::size_t g : p.groups) refresh(groups_[g]);
  return true;
}

bool Simulation::resume_peer(PeerSlot& p) {
  if (p.state != PeerState::kPaused) return false;
  p.state = PeerState::kRunning;
  topology_changed();
  network_.set_paused(p.index, false);
  p.clock->resume();  // overdue timers fire right after this event
  for (std::size_t g : p.groups) refresh(groups_[g]);
  return true;
}

void Simulation::on_leadership(PeerIndex peer, const std::string& channel, bool is_leader) {
  PeerSlot& p = peers_[peer];
  if (is_leader) {
    p.leading.insert(channel);
  } else {
    p.leading.erase(channel);
  }
  log_.record(now(), peer, is_leader ? "leader" : "follower", channel);
  if (p.ledgers) {
    if (PeerChannel* c = p.ledgers->find(channel); c && c->client) {
      if (is_leader && !c->client->running()) {
        log_.record(now(), peer, "deliver_start", channel, c->ledger->ledger().height());
        c->client->start();
      } else if (!is_leader && c->client->running()) {
        log_.record(now(), peer, "deliver_stop", channel, c->ledger->ledger().height());
        c->client->stop();
      }
    }
  }
  for (std::size_t g : p.groups) {
    if (groups_[g].channel == channel) refresh(groups_[g]);
  }
}

std::set<PeerIndex> Simulation::effective_leaders(const Group& group) const {
  std::set<PeerIndex> leaders;
  for (PeerIndex m : group.members) {
    if (is_up(m) && peers_[m].leading.contains(group.channel)) leaders.insert(m);
  }
  return leaders;
}

// Adds the time since the last change to the group's totals.
void Simulation::account(Group& group) {
  const Duration elapsed = now() - group.accounted_until;
  group.accounted_until = now();
  if (!group.report.time_to_first_leader) return;
  if (group.leaders.empty()) group.report.time_without_leader += elapsed;
  if (group.leaders.size() > 1) group.report.time_with_several_leaders += elapsed;
}

void Simulation::refresh(Group& group) {
  const std::set<PeerIndex> leaders = effective_leaders(group);
  if (leaders != group.leaders) {
    account(group);
    for (PeerIndex gone : group.leaders) {
      if (leaders.contains(gone)) continue;
      group.report.changes.push_back({now(), peers_[gone].spec.name, false});
      group.report.spans.push_back({peers_[gone].spec.name, group.open_spans.at(gone), now()});
      group.open_spans.erase(gone);
    }
    for (PeerIndex added : leaders) {
      if (group.leaders.contains(added)) continue;
      group.report.changes.push_back({now(), peers_[added].spec.name, true});
      group.open_spans[added] = now();
    }
    const bool had_first_leader = group.report.time_to_first_leader.has_value();
    group.leaders = leaders;
    if (!group.report.time_to_first_leader && !leaders.empty()) {
      group.report.time_to_first_leader = now();
    }
    if (group.blocks && had_first_leader) track_gap(group);
  }
  check_recovery(group);
}

void Simulation::start_failover(Group& group, const std::string& cause,
                                const std::string& old_leader) {
  if (group.open_failover) return;  // the open one covers this fault too
  FailoverRecord record;
  record.fault_at = now();
  record.cause = cause;
  record.old_leader = old_leader;
  group.open_failover = group.report.failovers.size();
  group.report.failovers.push_back(std::move(record));
  check_recovery(group);
}

// A fault that cut links inside the group while every member still heard its
// leader: reported as "no change", never as a failover.
void Simulation::note_leader_kept(Group& group, const std::string& cause,
                                  const std::string& leader) {
  if (group.open_failover) return;
  FailoverRecord record;
  record.fault_at = now();
  record.cause = cause;
  record.old_leader = leader;
  record.new_leader = leader;
  record.leader_kept = true;
  group.report.failovers.push_back(std::move(record));
}

// A failover ends when every up member hears exactly one leader, counting
// itself if it leads: each follower receives messages from one leader and no
// leader from another (docs/simulator.md, "Failovers"). After a two-way
// partition that is one leader per side.
void Simulation::check_recovery(Group& group) {
  if (!group.open_failover) return;
  bool anyone_up = false;
  for (PeerIndex m : group.members) {
    if (!is_up(m)) continue;
    anyone_up = true;
    std::size_t heard = 0;
    for (PeerIndex l : group.leaders) {
      if (l == m || !network_.blocked(l, m)) ++heard;
    }
    if (heard != 1) return;
  }
  if (!anyone_up) return;
  std::vector<std::string> leaders;
  for (PeerIndex l : group.leaders) leaders.push_back(peers_[l].spec.name);
  FailoverRecord& record = group.report.failovers[*group.open_failover];
  record.recovered_at = now();
  record.new_leader = join(leaders, ",");
  group.open_failover.reset();
}

std::vector<PeerIndex> Simulation::leaders_of(const LeaderOf& leader_of, std::string& note) const {
  for (const Group& g : groups_) {
    const bool org_matches =
        g.msp_id == leader_of.org || peers_[g.members.front()].spec.org == leader_of.org;
    if (g.channel != leader_of.channel || !org_matches) continue;
    note += g.leaders.empty() ? fmt::format(" (no leader of {}/{} to target)", g.channel, g.msp_id)
                              : fmt::format(" (leader of {}/{})", g.channel, g.msp_id);
    return {g.leaders.begin(), g.leaders.end()};
  }
  note += " (nobody runs that election)";
  return {};
}

std::vector<PeerIndex> Simulation::resolve(const PeerSet& set, std::string& note) const {
  std::vector<PeerIndex> out;
  for (const std::string& name : set.peers) out.push_back(*network_.find(name));
  for (const LeaderOf& l : set.leaders_of) {
    for (PeerIndex p : leaders_of(l, note)) {
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
  }
  return out;
}

std::string Simulation::names(const std::vector<PeerIndex>& peers) const {
  std::vector<std::string> out;
  for (PeerIndex p : peers) out.push_back(peers_[p].spec.name);
  return join(out);
}

std::vector<PeerIndex> Simulation::resolve_targets(const Fault& f, std::string& note) {
  if (f.leader_of) return leaders_of(*f.leader_of, note);
  std::vector<PeerIndex> targets;
  for (const std::string& name : f.peers) targets.push_back(*network_.find(name));
  if (!f.peers.empty()) return targets;
  // restart / resume without peers: every peer that is down that way.
  const PeerState wanted = f.kind == FaultKind::kRestart ? PeerState::kCrashed : PeerState::kPaused;
  for (const PeerSlot& p : peers_) {
    if (p.state == wanted) targets.push_back(p.index);
  }
  note = targets.empty() ? " (nothing to do)" : "";
  return targets;
}

// Resolved now: a leader_of side or end holds whoever leads at this moment.
Cut Simulation::make_cut(const Fault& f, std::string& description,
                         std::vector<std::string>& touched) {
  Cut cut;
  cut.name = f.name;
  cut.one_way = f.is_one_way();
  cut.side.assign(peers_.size(), Cut::kRestSide);
  cut.from.assign(peers_.size(), false);
  cut.to.assign(peers_.size(), false);
  std::string note;
  std::vector<std::string> parts;
  if (f.is_one_way()) {
    const std::vector<PeerIndex> from = resolve(f.one_way_from, note);
    std::vector<PeerIndex> to = resolve(f.one_way_to, note);
    // A peer on both ends (a leader_of resolving into `from`) stays on `from`.
    std::erase_if(
        to, [&](PeerIndex p) { return std::find(from.begin(), from.end(), p) != from.end(); });
    for (PeerIndex p : from) cut.from[p] = true;
    for (PeerIndex p : to) cut.to[p] = true;
    for (PeerIndex p : from) touched.push_back(peers_[p].spec.name);
    for (PeerIndex p : to) touched.push_back(peers_[p].spec.name);
    parts.push_back(fmt::format("[{}] -> [{}] cut one way", names(from), names(to)));
  } else {
    for (std::size_t s = 0; s < f.sides.size(); ++s) {
      std::vector<PeerIndex> side = resolve(f.sides[s].second, note);
      // A peer already placed (a leader_of that resolves to it) keeps its first side.
      std::erase_if(side, [&](PeerIndex p) { return cut.side[p] != Cut::kRestSide; });
      for (PeerIndex p : side) {
        cut.side[p] = static_cast<int>(s);
        touched.push_back(peers_[p].spec.name);
      }
      parts.push_back(fmt::format("{}: [{}]", f.sides[s].first, names(side)));
    }
  }
  description = fmt::format("partition{}{} {}{}", f.name.empty() ? "" : " ", f.name,
                            join(parts, " | "), note);
  return cut;
}

std::string Simulation::apply_link(const Fault& f) {
  const auto fields = [](const LinkChange& c) {
    std::vector<std::string> out;
    if (c.latency) out.push_back("latency " + format_duration(*c.latency));
    if (c.jitter) out.push_back("jitter " + format_duration(*c.jitter));
    if (c.loss) out.push_back(fmt::format("loss {}", *c.loss));
    if (c.duplicate) out.push_back(fmt::format("duplicate {}", *c.duplicate));
    return join(out, " ");
  };
  std::string note;
  if (!f.pair.empty()) {
    const std::vector<PeerIndex> a = resolve(f.pair[0], note);
    const std::vector<PeerIndex> b = resolve(f.pair[1], note);
    for (PeerIndex x : a)
      for (PeerIndex y : b)
        if (x != y) network_.change_pair_link(x, y, f.link);
    return fmt::format("link [{}] <-> [{}] {}{}", names(a), names(b), fields(f.link), note);
  }
  if (f.leader_of || !f.peers.empty()) {
    const std::vector<PeerIndex> targets = resolve_targets(f, note);
    for (PeerIndex p : targets) network_.change_peer_link(p, f.link);
    return fmt::format("link of [{}] {}{}", names(targets), fields(f.link), note);
  }
  LinkModel link = network_.link();
  link.latency = f.link.latency.value_or(link.latency);
  link.jitter = f.link.jitter.value_or(link.jitter);
  link.loss = f.link.loss.value_or(link.loss);
  link.duplicate = f.link.duplicate.value_or(link.duplicate);
  network_.set_link(link);
  return fmt::format("link latency {} jitter {} loss {} duplicate {}",
                     format_duration(link.latency), format_duration(link.jitter), link.loss,
                     link.duplicate);
}

void Simulation::apply(const Fault& f) {
  FaultMark mark;
  mark.at = now();
  mark.kind = std::string(to_string(f.kind));
  std::string note;
  std::vector<std::string> done;
  // Leaders before the fault, to tell whether it took one away.
  std::vector<std::set<PeerIndex>> leaders_before;
  for (const Group& g : groups_) leaders_before.push_back(g.leaders);

  switch (f.kind) {
    case FaultKind::kCrash:
    case FaultKind::kPause:
    case FaultKind::kRestart:
    case FaultKind::kResume:
    case FaultKind::kSkew: {
      for (PeerIndex t : resolve_targets(f, note)) {
        PeerSlot& p = peers_[t];
        bool changed = true;
        switch (f.kind) {
          case FaultKind::kCrash:
            changed = crash_peer(p);
            break;
          case FaultKind::kPause:
            changed = pause_peer(p);
            break;
          case FaultKind::kRestart:
            changed = p.state == PeerState::kCrashed;
            if (changed && f.empty_ledger) wipe_ledgers(p);
            if (changed) start_peer(p, "restart");
            break;
          case FaultKind::kResume:
            changed = resume_peer(p);
            break;
          default:
            p.clock->set_rate(f.rate);
            break;
        }
        if (changed) done.push_back(p.spec.name);
      }
      if (f.kind == FaultKind::kCrash || f.kind == FaultKind::kPause) {
        // One failover per group, however many of its leaders this fault took.
        for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
          std::vector<std::string> taken;
          for (PeerIndex l : leaders_before[gi]) {
            if (!groups_[gi].leaders.contains(l)) taken.push_back(peers_[l].spec.name);
          }
          if (!taken.empty()) start_failover(groups_[gi], mark.kind, join(taken, ","));
        }
      }
      mark.peers = done;
      mark.description = fmt::format(
          "{} {}{}{}", mark.kind, done.empty() ? "nobody" : join(done),
          f.kind == FaultKind::kSkew ? fmt::format(" to clock rate {}", f.rate) : std::string(),
          note);
      break;
    }
    case FaultKind::kPartition: {
      network_.add_cut(make_cut(f, mark.description, mark.peers));
      topology_changed();
      for (auto& o : orderers_) o->recheck_reachability();
      // Leadership is lost where an up member can no longer hear a leader; a
      // leader that is only deaf (one-way) keeps its followers: no change.
      for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
        Group& g = groups_[gi];
        std::vector<std::string> cut_off;
        bool touched = false;
        for (PeerIndex leader : leaders_before[gi]) {
          for (PeerIndex m : g.members) {
            if (m == leader || !is_up(m)) continue;
            if (network_.blocked(leader, m)) {
              cut_off.push_back(peers_[leader].spec.name);
              break;
            }
            if (network_.blocked(m, leader)) touched = true;
          }
        }
        if (!cut_off.empty()) {
          start_failover(g, mark.kind, join(cut_off, ","));
        } else if (touched) {
          std::vector<std::string> kept;
          for (PeerIndex l : leaders_before[gi]) kept.push_back(peers_[l].spec.name);
          note_leader_kept(g, mark.kind, join(kept, ","));
        }
      }
      break;
    }
    case FaultKind::kHeal:
      network_.heal(f.name);
      topology_changed();
      mark.description = f.name.empty() ? "heal every partition" : "heal " + f.name;
      break;
    case FaultKind::kLink:
      mark.description = apply_link(f);
      break;
    case FaultKind::kOrdererDown:
    case FaultKind::kOrdererRefuse:
    case FaultKind::kOrdererUp:
      mark.description = apply_orderer(f);
      break;
  }
  log_.record(now(), EventLog::kNoPeer, "fault", mark.description);
  fault_marks_.push_back(std::move(mark));
  for (Group& g : groups_) refresh(g);
}

// The settled-state invariants (docs/scenario-format.md, "Invariants"). A group
// that breaks them is checked again after transient_allowance(); only a
// violation that is still there counts.
void Simulation::check_settled() {
  if (network_.partitioned()) return;  // the rules below assume everyone can reach everyone
  std::vector<std::size_t> suspects;
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    const Group& g = groups_[gi];
    for (PeerIndex m : g.members) {
      if (!is_up(m)) continue;
      const SimPeer& n = *peers_[m].node;
      if (const election::LeaderElection* e = n.election(g.channel)) {
        for (const std::string& problem : election::check_invariants(*e)) {
          violations_.push_back(fmt::format("t={}: {}/{} {}: {}", format_duration(now()), g.channel,
                                            g.msp_id, n.id(), problem));
        }
      }
    }
    if (!settled_problems(g).empty()) suspects.push_back(gi);
  }
  if (suspects.empty()) return;
  const Duration allowance = transient_allowance(scenario_);
  scheduler_.schedule(allowance, [this, suspects, allowance] {
    if (network_.partitioned()) return;
    for (std::size_t gi : suspects) {
      for (const std::string& problem : settled_problems(groups_[gi])) {
        violations_.push_back(
            fmt::format("{} (and already {} earlier)", problem, format_duration(allowance)));
      }
    }
  });
}

std::vector<std::string> Simulation::settled_problems(const Group& g) const {
  std::vector<std::string> problems;
  const std::string prefix =
      fmt::format("t={}: {}/{}", format_duration(now()), g.channel, g.msp_id);
  std::vector<PeerIndex> up;
  for (PeerIndex m : g.members) {
    if (is_up(m)) up.push_back(m);
  }
  for (PeerIndex m : up) {
    const gossip::PeerId* believed = peers_[m].node->believed_leader(g.channel);
    if (believed == nullptr) continue;
    auto leader = network_.find(*believed);
    if (leader && peers_[*leader].spec.msp_id != peers_[m].spec.msp_id) {
      problems.push_back(fmt::format("{}: {} follows {}, a peer of another org", prefix,
                                     peers_[m].spec.name, *believed));
    }
  }
  if (up.empty() || scenario_.settings.gossip.leader_mode() != election::LeaderMode::kDynamic) {
    return problems;
  }
  std::vector<std::string> leader_names;
  for (PeerIndex l : g.leaders) {
    leader_names.push_back(peers_[l].spec.name);
    if (peers_[l].spec.msp_id != g.msp_id) {
      problems.push_back(
          fmt::format("{}: leader {} is outside the org", prefix, peers_[l].spec.name));
    }
  }
  if (g.leaders.size() != 1) {
    problems.push_back(fmt::format("{}: {} leaders [{}] among {} up members, expected 1", prefix,
                                   g.leaders.size(), join(leader_names), up.size()));
    return problems;
  }
  const std::string& leader = leader_names.front();
  for (PeerIndex m : up) {
    const gossip::PeerId* believed = peers_[m].node->believed_leader(g.channel);
    if (believed == nullptr || *believed != leader) {
      problems.push_back(fmt::format("{}: {} believes {} leads, but {} does", prefix,
                                     peers_[m].spec.name,
                                     believed ? *believed : std::string("nobody"), leader));
    }
  }
  return problems;
}

void Simulation::finish(SimResult& result) {
  const TimePoint end = now();
  result.groups.reserve(groups_.size());
  for (Group& g : groups_) {
    account(g);
    for (const auto& [peer, from] : g.open_spans) {
      g.report.spans.push_back({peers_[peer].spec.name, from, end});
    }
    std::sort(g.report.spans.begin(), g.report.spans.end(),
              [](const LeaderSpan& a, const LeaderSpan& b) {
                return a.from != b.from ? a.from < b.from : a.peer < b.peer;
              });
    for (PeerIndex l : g.leaders) g.report.leaders_at_end.push_back(peers_[l].spec.name);
    result.groups.push_back(std::move(g.report));
  }
  result.faults = std::move(fault_marks_);
  if (scenario_.blocks.enabled) check_chains(result);
  for (Group& g : groups_) {
    if (!g.blocks) continue;
    GroupBlocks& b = *g.blocks;
    BlockGroupReport r;
    r.channel = g.channel;
    r.org = g.msp_id;
    r.blocks_cut = orderers_[b.orderer]->chain().height();
    r.blocks_complete = b.complete;
    r.propagation = std::move(b.propagation);
    std::vector<Duration> done;
    for (const std::optional<Duration>& d : r.propagation)
      if (d) done.push_back(*d);
    std::sort(done.begin(), done.end());
    if (!done.empty()) {
      const auto at = [&](double q) {
        const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(done.size())));
        return done[std::min(done.size() - 1, k == 0 ? 0 : k - 1)];
      };
      r.propagation_p50 = at(0.5);
      r.propagation_p99 = at(0.99);
      r.propagation_max = done.back();
    }
    r.gaps = std::move(b.gaps);
    r.traffic = std::move(b.traffic);
    r.sample_interval = scenario_.blocks.sample_interval;
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      PeerBlockSeries series = std::move(b.series[i]);
      const PeerChannel* c = peers_[g.members[i]].ledgers->find(g.channel);
      series.final_height = c ? c->ledger->ledger().height() : 0;
      r.peers.push_back(std::move(series));
    }
    result.blocks.push_back(std::move(r));
  }
  for (const auto& o : orderers_) result.orderer_heights[o->channel()] = o->chain().height();
  result.messages = network_.stats();
  result.violations = network_.violations();
  result.violations.insert(result.violations.end(), violations_.begin(), violations_.end());
}

void Simulation::build_blocks() {
  for (const ChannelSpec& channel : scenario_.channels) {
    if (!scenario_.blocks.covers(channel.name)) continue;
    const std::size_t index = orderers_.size();
    orderers_.push_back(std::make_unique<SimOrderer>(
        channel.name, scenario_.blocks, scheduler_,
        [this, index](std::uint64_t number) { on_cut(index, number); }));
    // The ordering service stands with the peers no side of a partition names.
    orderers_.back()->set_reachable([this](std::size_t peer) { return orderer_reachable(peer); });
    orderer_groups_.emplace_back();
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      Group& g = groups_[gi];
      if (g.channel != channel.name) continue;
      g.blocks = std::make_unique<GroupBlocks>();
      g.blocks->orderer = index;
      for (PeerIndex m : g.members) g.blocks->series.push_back({peers_[m].spec.name, 0, 0, {}, {}});
      orderer_groups_[index].push_back(gi);
    }
  }
  for (PeerSlot& p : peers_) {
    for (std::size_t gi : p.groups) {
      if (!groups_[gi].blocks) continue;
      if (!p.ledgers) p.ledgers = std::make_unique<PeerLedgers>();
      PeerChannel c;
      c.channel = groups_[gi].channel;
      c.orderer = groups_[gi].blocks->orderer;
      c.group = gi;
      p.ledgers->channels.push_back(std::move(c));
    }
    if (p.ledgers) wipe_ledgers(p);
  }
  network_.set_send_observer([this](PeerIndex sender, const gossip::MessagePtr& message) {
    on_block_traffic(sender, message);
  });
}

// A new, empty ledger for every channel (at build, and on restart with empty_ledger).
void Simulation::wipe_ledgers(PeerSlot& p) {
  for (std::size_t ci = 0; ci < p.ledgers->channels.size(); ++ci) {
    PeerChannel& c = p.ledgers->channels[ci];
    const PeerIndex index = p.index;
    c.ledger = std::make_unique<PeerChannelLedger>(
        c.channel, orderers_[c.orderer]->chain(), *p.crypto,
        [this, index, ci](std::uint64_t number) { on_commit(index, ci, number); });
    c.watch.reset();
  }
}

void Simulation::start_delivery(PeerSlot& p) {
  if (!p.ledgers) return;
  auto* full = dynamic_cast<FullPeer*>(p.node.get());
  const config::DeliveryClientSettings& d = scenario_.settings.delivery;
  for (std::size_t ci = 0; ci < p.ledgers->channels.size(); ++ci) {
    PeerChannel& c = p.ledgers->channels[ci];
    c.link = std::make_unique<OrdererLink>(*orderers_[c.orderer], *p.clock, p.index);
    deliver::DeliverSettings s;
    s.channel = c.channel;
    s.identity = p.crypto->identity();
    s.endpoints = {std::string(kOrdererEndpoint)};
    s.static_leader =
        scenario_.settings.gossip.leader_mode() == election::LeaderMode::kStaticLeader;
    s.reconnect_backoff_threshold = d.reconnect_backoff_threshold;
    s.reconnect_total_time_threshold = d.reconnect_total_time_threshold;
    s.seed = derive_seed(seed_, 0x64656c + p.index, p.incarnation * 64 + ci);
    PeerChannelLedger* ledger = c.ledger.get();
    deliver::DeliverDependencies deps{
        *p.clock,
        *c.link,
        *p.crypto,
        ledger->chain(),
        [ledger](const common::Block& block) {
          return ledger->verify(block, ledger->chain().height());
        },
        [this] {
          return static_cast<std::int64_t>(kWallClockEpochNs / 1'000'000'000ULL) +
                 std::chrono::duration_cast<std::chrono::seconds>(now()).count();
        },
        {}};
    c.client = std::make_unique<deliver::DeliverClient>(std::move(s), std::move(deps));
    const std::string channel = c.channel;
    const PeerIndex index = p.index;
    c.client->set_on_block([full, channel](std::uint64_t number, const std::string& bytes) {
      full->node().on_orderer_block(channel, number, bytes);
    });
    c.client->set_on_verified([full, channel](std::uint64_t number, const std::string& bytes) {
      full->node().on_orderer_block_verified(channel, number, bytes);
    });
    c.client->set_on_give_up([this, full, channel, index] {
      log_.record(now(), index, "deliver_give_up", channel);
      full->node().yield(channel);
    });
  }
}

void Simulation::stop_delivery(PeerSlot& p) {
  if (!p.ledgers) return;
  for (PeerChannel& c : p.ledgers->channels) {
    c.client.reset();
    c.link.reset();
  }
}

std::string Simulation::apply_orderer(const Fault& f) {
  std::optional<common::Status> status;
  if (f.kind == FaultKind::kOrdererRefuse) {
    common::Status parsed = common::SERVICE_UNAVAILABLE;
    common::Status_Parse(f.status, &parsed);
    status = parsed;
  }
  std::vector<std::string> touched;
  for (auto& o : orderers_) {
    if (!f.channel.empty() && o->channel() != f.channel) continue;
    touched.push_back(o->channel());
    switch (f.kind) {
      case FaultKind::kOrdererDown:
        o->set_down(true);
        break;
      case FaultKind::kOrdererRefuse:
        o->set_refusing(status);
        break;
      default:
        o->set_down(false);
        o->set_refusing(std::nullopt);
        break;
    }
  }
  return fmt::format("{} [{}]{}", to_string(f.kind), join(touched),
                     status ? " with " + f.status : std::string());
}

void Simulation::on_cut(std::size_t orderer, std::uint64_t number) {
  log_.record(now(), EventLog::kNoPeer, "cut", orderers_[orderer]->channel(), number);
  for (std::size_t gi : orderer_groups_[orderer]) {
    Group& g = groups_[gi];
    GroupBlocks& b = *g.blocks;
    b.holders.push_back(0);
    b.propagation.emplace_back();
    if (!b.open_gap) continue;
    BlockGap& gap = b.gaps[*b.open_gap];
    if (!gap.leader_at) ++gap.blocks_cut;
    gap.max_behind = std::max(gap.max_behind, worst_behind(g));
  }
}

void Simulation::on_commit(PeerIndex peer, std::size_t channel, std::uint64_t number) {
  PeerSlot& p = peers_[peer];
  PeerChannel& c = p.ledgers->channels[channel];
  log_.record(now(), peer, "commit", c.channel, number);
  const OrdererChain& truth = orderers_[c.orderer]->chain();
  const SimLedger& ledger = c.ledger->ledger();
  if (number >= truth.height() || ledger.last_header_hash() != truth.header_hash(number)) {
    violations_.push_back(
        fmt::format("t={}: {} on {}: committed block {} differs from the "
                    "orderer's",
                    format_duration(now()), p.spec.name, c.channel, number));
  }
  Group& g = groups_[c.group];
  GroupBlocks& b = *g.blocks;
  if (number == c.counted && number < b.holders.size()) {
    ++c.counted;
    if (++b.holders[number] == g.members.size()) {
      b.propagation[number] = now() - truth.cut_at(number);
      ++b.complete;
    }
  }
  if (b.open_gap && b.gaps[*b.open_gap].leader_at && caught_up(g, b.gap_target)) {
    b.gaps[*b.open_gap].caught_up_at = now();
    b.open_gap.reset();
  }
}

std::uint64_t Simulation::worst_behind(const Group& g) const {
  const std::uint64_t height = orderers_[g.blocks->orderer]->chain().height();
  std::uint64_t worst = 0;
  for (PeerIndex m : g.members) {
    if (!is_up(m)) continue;
    const std::uint64_t h = peers_[m].ledgers->find(g.channel)->ledger->ledger().height();
    worst = std::max(worst, height > h ? height - h : 0);
  }
  return worst;
}

bool Simulation::caught_up(const Group& g, std::uint64_t height) const {
  for (PeerIndex m : g.members) {
    if (!is_up(m)) continue;
    if (peers_[m].ledgers->find(g.channel)->ledger->ledger().height() < height) return false;
  }
  return true;
}

// Gaps open when the last leader goes and close once every up member caught up
// with what the orderer cut until a leader was back.
void Simulation::track_gap(Group& g) {
  GroupBlocks& b = *g.blocks;
  const std::uint64_t height = orderers_[b.orderer]->chain().height();
  if (g.leaders.empty()) {
    if (b.open_gap && b.gaps[*b.open_gap].leader_at) {
      // Lost again before catching up: the same gap goes on.
      b.gaps[*b.open_gap].leader_at.reset();
      return;
    }
    if (b.open_gap) return;
    BlockGap gap;
    gap.from = now();
    gap.max_behind = worst_behind(g);
    b.open_gap = b.gaps.size();
    b.gaps.push_back(gap);
    return;
  }
  if (!b.open_gap || b.gaps[*b.open_gap].leader_at) return;
  BlockGap& gap = b.gaps[*b.open_gap];
  gap.leader_at = now();
  b.gap_target = height;
  if (caught_up(g, height)) {
    gap.caught_up_at = now();
    b.open_gap.reset();
  }
}

void Simulation::on_block_traffic(PeerIndex sender, const gossip::MessagePtr& message) {
  using M = ::gossip::GossipMessage;
  const M& m = message->message;
  std::string_view kind;
  switch (m.content_case()) {
    case M::kDataMsg:
      kind = "push";
      break;
    case M::kHello:
      if (m.hello().msg_type() == ::gossip::BLOCK_MSG) kind = "pull";
      break;
    case M::kDataDig:
      if (m.data_dig().msg_type() == ::gossip::BLOCK_MSG) kind = "pull";
      break;
    case M::kDataReq:
      if (m.data_req().msg_type() == ::gossip::BLOCK_MSG) kind = "pull";
      break;
    case M::kDataUpdate:
      if (m.data_update().msg_type() == ::gossip::BLOCK_MSG) kind = "pull";
      break;
    case M::kStateRequest:
    case M::kStateResponse:
      kind = "state_transfer";
      break;
    default:
      break;
  }
  if (kind.empty()) return;
  const auto it = group_index_.find({m.channel(), peers_[sender].spec.msp_id});
  if (it == group_index_.end() || !groups_[it->second].blocks) return;
  BlockTraffic& t = groups_[it->second].blocks->traffic[std::string(kind)];
  ++t.messages;
  t.bytes += message->wire_size();
}

void Simulation::sample_blocks() {
  for (Group& g : groups_) {
    if (!g.blocks) continue;
    GroupBlocks& b = *g.blocks;
    const std::uint64_t height = orderers_[b.orderer]->chain().height();
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      const PeerSlot& p = peers_[g.members[i]];
      const std::uint64_t h = p.ledgers->find(g.channel)->ledger->ledger().height();
      PeerBlockSeries& s = b.series[i];
      s.height.push_back(h);
      if (is_up(p.index)) {
        const std::uint64_t behind = height > h ? height - h : 0;
        s.behind.push_back(static_cast<std::int64_t>(behind));
        s.max_behind = std::max(s.max_behind, behind);
      } else {
        s.behind.push_back(-1);
      }
    }
  }
  watch_ledgers();
}

void Simulation::watch_ledgers() {
  for (PeerSlot& p : peers_) {
    if (!p.ledgers) continue;
    for (PeerChannel& c : p.ledgers->channels) {
      c.watch.observe(c.ledger->ledger(), orderers_[c.orderer]->chain(),
                      fmt::format("{} on {}", p.spec.name, c.channel), now(), violations_);
    }
  }
}

// The end-of-run check (docs/scenario-format.md, "Invariants"): after a
// heal-and-settle tail every up peer holds the orderer's chain.
void Simulation::check_chains(SimResult& result) {
  watch_ledgers();  // the last observation of every ledger
  if (!chain_check_from_) return;
  result.chain_checked = true;
  const BlockSpec& spec = scenario_.blocks;
  const bool exact = spec.until.has_value() && *spec.until <= *chain_check_from_;
  result.chain_check_exact = exact;
  for (PeerSlot& p : peers_) {
    if (!p.ledgers || !is_up(p.index)) continue;
    for (PeerChannel& c : p.ledgers->channels) {
      const OrdererChain& truth = orderers_[c.orderer]->chain();
      // Not exact: the blocks cut before the tail began must be everywhere.
      std::uint64_t min_height = 0;
      while (min_height < truth.height() && truth.cut_at(min_height) < *chain_check_from_) {
        ++min_height;
      }
      const std::string problem =
          compare_with_orderer(c.ledger->ledger(), truth, exact, min_height);
      if (!problem.empty()) {
        violations_.push_back(fmt::format("t={}: {} on {} does not hold the orderer's chain: {}",
                                          format_duration(now()), p.spec.name, c.channel, problem));
      }
    }
  }
}

SimResult Simulation::run() {
  const auto wall_start = std::chrono::steady_clock::now();
  build();
  // Start times (docs/scenario-format.md, "Start times"): k x start_step plus a
  // random spread, start_at where given; with bootstrap_first the bootstrap peers
  // are scheduled first, at 0, so they are up before anyone dials them.
  std::mt19937_64& random = network_.random();
  std::vector<Duration> offsets;
  offsets.reserve(peers_.size());
  for (std::size_t k = 0; k < peers_.size(); ++k) {
    const Duration spread(scenario_.start_spread.count() > 0
                              ? draw_between(random, 0, scenario_.start_spread.count())
                              : 0);
    offsets.push_back(scenario_.start_step * static_cast<std::int64_t>(k) + spread);
  }
  std::vector<bool> first(peers_.size(), false);
  if (scenario_.bootstrap_first) {
    for (const std::string& name : bootstrap_peers(scenario_)) {
      if (const std::optional<PeerIndex> p = network_.find(name)) {
        first[*p] = true;
        offsets[*p] = Duration::zero();
      }
    }
  }
  for (const auto& [name, at] : scenario_.start_at) {
    const PeerIndex p = *network_.find(name);
    first[p] = false;
    offsets[p] = at;
  }
  for (bool pass_first : {true, false}) {
    for (PeerSlot& p : peers_) {
      if (first[p.index] != pass_first) continue;
      scheduler_.schedule(offsets[p.index], [this, &p] {
        if (p.state == PeerState::kNotStarted) start_peer(p, "start");
      });
    }
  }
  Duration last_fault{0};
  for (const Fault& f : scenario_.faults) {
    last_fault = std::max(last_fault, f.at);
    scheduler_.schedule(f.at, [this, &f] { apply(f); });
  }
  if (scenario_.blocks.enabled) {
    for (auto& o : orderers_) o->start(scenario_.duration);
    const Duration interval = scenario_.blocks.sample_interval;
    for (TimePoint t = interval; t <= scenario_.duration; t += interval) {
      scheduler_.schedule(t, [this] { sample_blocks(); });
    }
    // A heal-and-settle tail: the faults are over long enough before the end.
    const Duration settle = block_settling_time(scenario_);
    if (last_fault + settle <= scenario_.duration) chain_check_from_ = scenario_.duration - settle;
  }
  if (options_.check_invariants) {
    // Three checks between the settled point and the end, each with room for
    // its confirmation.
    const TimePoint settled = last_fault + settling_time(scenario_);
    const TimePoint last_check = scenario_.duration - transient_allowance(scenario_);
    if (settled <= last_check) {
      const Duration window = last_check - settled;
      for (int k = 0; k <= 2; ++k) {
        scheduler_.schedule(settled + window * k / 2, [this] { check_settled(); });
      }
    }
  }

  constexpr int kProgressSteps = 100;
  for (int step = 1; step <= kProgressSteps; ++step) {
    scheduler_.run_until(scenario_.duration * step / kProgressSteps);
    if (options_.progress) options_.progress(static_cast<double>(step) / kProgressSteps);
  }

  SimResult result;
  result.scenario_name = scenario_.name;
  result.seed = seed_;
  result.membership = scenario_.membership;
  result.duration = scenario_.duration;
  result.peers = peers_.size();
  result.events = scheduler_.events_fired();
  finish(result);
  result.event_log_hash = log_.hex();
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace

SimResult run_simulation(const Scenario& scenario, const RunOptions& options) {
  Simulation simulation(scenario, options);
  return simulation.run();
}

}  // namespace fabnet::sim
