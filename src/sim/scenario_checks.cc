#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>

#include "config/duration.h"
#include "sim/scenario.h"
#include "sim/scenario_internal.h"

namespace fabnet::sim {

namespace detail {

using config::format_duration;

void check_scenario(const Scenario& s, const Reporter& report) {
  if (s.duration <= Duration::zero()) {
    report.fail("duration", fmt::format("{} is not positive", format_duration(s.duration)),
                kExpectDuration);
  }
  if (s.orgs.empty()) report.fail("network.orgs", "no orgs", "at least one org");
  if (s.channels.empty()) report.fail("network.channels", "no channels", "at least one channel");
  std::map<std::string, const OrgSpec*> org_by_name;
  std::set<std::string> msp_ids;
  for (std::size_t i = 0; i < s.orgs.size(); ++i) {
    const OrgSpec& org = s.orgs[i];
    const std::string path = item("network.orgs", i);
    if (!is_name(org.name)) {
      report.fail(child(path, "name"), fmt::format("invalid name \"{}\"", org.name), kExpectName);
    }
    if (!is_name(org.msp_id)) {
      report.fail(child(path, "msp_id"), fmt::format("invalid name \"{}\"", org.msp_id),
                  kExpectName);
    }
    if (!org_by_name.emplace(org.name, &org).second) {
      report.fail(child(path, "name"), fmt::format("duplicate org name \"{}\"", org.name),
                  "unique org names");
    }
    if (!msp_ids.insert(org.msp_id).second) {
      report.fail(child(path, "msp_id"), fmt::format("duplicate MSP ID \"{}\"", org.msp_id),
                  "unique MSP IDs");
    }
    if (org.peers < 1 || org.peers > 100000) {
      report.fail(child(path, "peers"), fmt::format("{} peers", org.peers),
                  "a peer count from 1 to 100000");
    }
  }
  std::map<std::string, const ChannelSpec*> channel_by_name;
  for (std::size_t i = 0; i < s.channels.size(); ++i) {
    const ChannelSpec& channel = s.channels[i];
    const std::string path = item("network.channels", i);
    if (!is_name(channel.name)) {
      report.fail(child(path, "name"), fmt::format("invalid name \"{}\"", channel.name),
                  kExpectName);
    }
    if (!channel_by_name.emplace(channel.name, &channel).second) {
      report.fail(child(path, "name"), fmt::format("duplicate channel \"{}\"", channel.name),
                  "unique channel names");
    }
    if (channel.orgs.empty()) report.fail(child(path, "orgs"), "no orgs", "at least one org");
    std::set<std::string> seen;
    for (std::size_t j = 0; j < channel.orgs.size(); ++j) {
      const std::string at = item(child(path, "orgs"), j);
      if (!org_by_name.contains(channel.orgs[j])) {
        std::vector<std::string> known;
        for (const auto& [name, org] : org_by_name) known.push_back(name);
        report.fail(at, fmt::format("unknown org \"{}\"", channel.orgs[j]),
                    fmt::format("one of: {}", join(known)));
      }
      if (!seen.insert(channel.orgs[j]).second) {
        report.fail(at, fmt::format("org \"{}\" listed twice", channel.orgs[j]));
      }
    }
  }
  if (s.start_spread < Duration::zero() || s.start_spread > s.duration) {
    report.fail("network.start_spread",
                fmt::format("{} is outside the run", format_duration(s.start_spread)),
                "a duration from 0 to the run's duration");
  }
  if (s.start_step < Duration::zero() || s.start_step > s.duration) {
    report.fail("network.start_step",
                fmt::format("{} is outside the run", format_duration(s.start_step)),
                "a duration from 0 to the run's duration");
  }

  // Before anything per peer is built: 100 orgs of 100,000 peers must fail here.
  const TopologySize size = measure_topology(s);
  if (size.peers > kMaxPeers) {
    report.fail(
        "network.orgs",
        fmt::format("{} peers in the network exceed the limit of {}", size.peers, kMaxPeers),
        "fewer peers (docs/scenario-format.md, \"Limits\")");
  }
  if (size.memberships > kMaxMemberships) {
    report.fail("network.channels",
                fmt::format("{} (peer, channel) memberships exceed the limit of {}",
                            size.memberships, kMaxMemberships),
                "fewer peers or channels (docs/scenario-format.md, \"Limits\")");
  }

  std::map<std::string, const OrgSpec*> org_of_peer;
  for (const OrgSpec& org : s.orgs) {
    for (int i = 0; i < org.peers; ++i) org_of_peer.emplace(peer_name(i, org.name), &org);
  }
  auto check_peer = [&](const std::string& path, const std::string& peer) {
    if (org_of_peer.contains(peer)) return;
    std::string hint;
    if (const auto dot = peer.find('.'); dot != std::string::npos) {
      auto org = org_by_name.find(peer.substr(dot + 1));
      if (org != org_by_name.end()) {
        hint =
            fmt::format("a peer name: {} has peer0 to peer{}", org->first, org->second->peers - 1);
      }
    }
    if (hint.empty()) hint = "a peer name peer<i>.<org name>, such as peer0." + s.orgs.front().name;
    report.fail(path, fmt::format("unknown peer \"{}\"", peer), hint);
  };
  auto check_peers = [&](const std::string& path, const std::vector<std::string>& peers,
                         bool allow_empty) {
    if (peers.empty() && !allow_empty) report.fail(path, "no peers", "at least one peer");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      check_peer(peers.size() == 1 ? path : item(path, i), peers[i]);
      if (!seen.insert(peers[i]).second) {
        report.fail(item(path, i), fmt::format("peer \"{}\" listed twice", peers[i]));
      }
    }
  };
  auto org_in_channel = [&](const std::string& org, const std::string& channel) {
    const auto& orgs = channel_by_name.at(channel)->orgs;
    return std::find(orgs.begin(), orgs.end(), org) != orgs.end();
  };

  for (const auto& [peer, at] : s.start_at) {
    const std::string path = child("network.start_at", peer);
    check_peer(path, peer);
    if (at < Duration::zero() || at > s.duration) {
      report.fail(path, fmt::format("{} is outside the run", format_duration(at)),
                  "a time from 0 to the run's duration");
    }
  }
  auto check_leader_of = [&](const std::string& at, const LeaderOf& leader_of) {
    if (!channel_by_name.contains(leader_of.channel)) {
      report.fail(child(at, "channel"), fmt::format("unknown channel \"{}\"", leader_of.channel));
    }
    const OrgSpec* org = nullptr;
    for (const OrgSpec& o : s.orgs) {
      if (o.name == leader_of.org || o.msp_id == leader_of.org) org = &o;
    }
    if (org == nullptr) {
      report.fail(child(at, "org"), fmt::format("unknown org \"{}\"", leader_of.org),
                  "an org name or MSP ID of the network");
    }
    if (!org_in_channel(org->name, leader_of.channel)) {
      report.fail(child(at, "org"),
                  fmt::format("org {} is not a member of channel {}", org->name, leader_of.channel),
                  "an org of that channel");
    }
  };
  auto check_peer_set = [&](const std::string& path, const PeerSet& set) {
    if (set.empty()) report.fail(path, "no peers", "at least one peer or leader_of");
    check_peers(path, set.peers, true);
    for (std::size_t i = 0; i < set.leaders_of.size(); ++i)
      check_leader_of(child(set.leaders_of.size() == 1 ? path : item(path, i), "leader_of"),
                      set.leaders_of[i]);
  };

  for (const auto& [peer, channels] : s.joins) {
    const std::string path = child("network.joins", peer);
    check_peer(path, peer);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < channels.size(); ++i) {
      const std::string at = channels.size() == 1 ? path : item(path, i);
      if (!channel_by_name.contains(channels[i])) {
        report.fail(at, fmt::format("unknown channel \"{}\"", channels[i]));
      }
      if (!org_in_channel(org_of_peer.at(peer)->name, channels[i])) {
        report.fail(at,
                    fmt::format("{}'s org {} is not a member of channel {}", peer,
                                org_of_peer.at(peer)->name, channels[i]),
                    "a channel that lists the peer's org");
      }
      if (!seen.insert(channels[i]).second) {
        report.fail(at, fmt::format("channel \"{}\" listed twice", channels[i]));
      }
    }
  }

  const config::GossipSettings& g = s.settings.gossip;
  for (std::size_t i = 0; i < g.bootstrap.size(); ++i) {
    const std::string& endpoint = g.bootstrap[i];
    const std::string path = item("settings.peer.gossip.bootstrap", i);
    const auto colon = endpoint.rfind(':');
    if (colon == std::string::npos || endpoint.substr(colon) != ":7051" ||
        !org_of_peer.contains(endpoint.substr(0, colon))) {
      report.fail(path, fmt::format("unknown endpoint \"{}\"", endpoint),
                  "the endpoint of a scenario peer, <peer name>:7051");
    }
  }
  auto check_probability = [&](const std::string& path, double p) {
    if (!(p >= 0 && p <= 1)) {
      report.fail(path, fmt::format("probability {} is out of range", p), kExpectProbability);
    }
  };
  auto check_non_negative = [&](const std::string& path, Duration d) {
    if (d < Duration::zero()) {
      report.fail(path, fmt::format("negative duration {}", format_duration(d)), kExpectDuration);
    }
  };
  check_non_negative("link.latency", s.link.latency);
  check_non_negative("link.jitter", s.link.jitter);
  check_probability("link.loss", s.link.loss);
  check_probability("link.duplicate", s.link.duplicate);

  if (s.blocks.enabled) {
    const BlockSpec& b = s.blocks;
    if (!(b.rate > 0 && b.rate <= 10000)) {
      report.fail("blocks.rate", fmt::format("{} is out of range", b.rate),
                  "blocks per second, above 0 and at most 10000");
    }
    if (b.envelopes < 1 || b.envelope_bytes < 1) {
      report.fail("blocks.envelopes", "a block needs at least one envelope of at least one byte");
    }
    check_non_negative("blocks.orderer_latency", b.orderer_latency);
    if (b.from < Duration::zero() || b.from > s.duration) {
      report.fail("blocks.from", fmt::format("{} is outside the run", format_duration(b.from)),
                  "a time within the run");
    }
    if (b.until && (*b.until < b.from || *b.until > s.duration)) {
      report.fail("blocks.until",
                  fmt::format("{} is before `from` or after the end", format_duration(*b.until)),
                  "a time between blocks.from and the end of the run");
    }
    if (b.sample_interval < std::chrono::milliseconds(10)) {
      report.fail("blocks.sample_interval", "shorter than 10ms", "a duration of at least 10ms");
    }
    for (std::size_t i = 0; i < b.channels.size(); ++i) {
      if (!channel_by_name.contains(b.channels[i])) {
        report.fail(item("blocks.channels", i),
                    fmt::format("unknown channel \"{}\"", b.channels[i]),
                    "a channel of network.channels");
      }
    }
    if (s.membership == MembershipModel::kIdeal) {
      report.fail("blocks", "blocks with membership: ideal",
                  "membership: gossip (the ideal model runs only the elections; blocks need the "
                  "full node's StateInfo heights)");
    }
  }

  std::set<std::string> partition_names;
  for (const Fault& f : s.faults) {
    if (f.kind == FaultKind::kPartition && !f.name.empty()) partition_names.insert(f.name);
  }
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const Fault& f = s.faults[i];
    const std::string path = item("faults", i);
    if (f.at < Duration::zero()) {
      report.fail(child(path, "at"), fmt::format("negative time {}", format_duration(f.at)),
                  kExpectTime);
    }
    if (f.at > s.duration) {
      report.fail(child(path, "at"),
                  fmt::format("{} is after the end of the run (duration {})", format_duration(f.at),
                              format_duration(s.duration)),
                  "a time within the run");
    }
    const bool may_default = f.kind == FaultKind::kRestart || f.kind == FaultKind::kResume;
    const bool is_link = f.kind == FaultKind::kLink;
    const bool targets_peers = may_default || is_link || f.kind == FaultKind::kCrash ||
                               f.kind == FaultKind::kPause || f.kind == FaultKind::kSkew;
    if (!targets_peers) {
      if (!f.peers.empty() || f.leader_of) {
        report.fail(child(path, "peers"),
                    fmt::format("a {} fault targets no peers", to_string(f.kind)));
      }
    } else if (!f.leader_of) {
      // A link fault without targets changes every link.
      check_peers(child(path, f.peers.size() == 1 ? "peer" : "peers"), f.peers,
                  may_default || is_link);
    } else {
      check_leader_of(child(path, "leader_of"), *f.leader_of);
    }
    if (!f.pair.empty()) {
      if (!is_link) report.fail(child(path, "pair"), "only a link fault takes a pair");
      if (f.pair.size() != 2 || !f.peers.empty() || f.leader_of) {
        report.fail(child(path, "pair"), "not two peers, or given with peer(s) or leader_of",
                    "two peers, each a name or {leader_of: {channel, org}}");
      }
      for (std::size_t k = 0; k < 2; ++k) {
        const std::string at = item(child(path, "pair"), k);
        check_peer_set(at, f.pair[k]);
        if (f.pair[k].peers.size() + f.pair[k].leaders_of.size() != 1) {
          report.fail(at, "more than one peer", "one peer name or one leader_of");
        }
      }
    }
    if (f.kind == FaultKind::kPartition) {
      if (f.sides.empty() && !f.is_one_way()) {
        report.fail(child(path, "sides"), "a partition needs `sides` or `one_way`");
      }
      std::set<std::string> placed;
      std::set<std::string> side_names;
      for (const auto& [side, members] : f.sides) {
        const std::string at = child(child(path, "sides"), side);
        if (!side_names.insert(side).second) report.fail(at, "side named twice");
        check_peer_set(at, members);
        for (const std::string& peer : members.peers) {
          if (!placed.insert(peer).second) {
            report.fail(at, fmt::format("peer \"{}\" is on two sides", peer),
                        "each peer on at most one side");
          }
        }
      }
      if (f.is_one_way()) {
        check_peer_set(child(path, "one_way.from"), f.one_way_from);
        check_peer_set(child(path, "one_way.to"), f.one_way_to);
        const std::vector<std::string>& to = f.one_way_to.peers;
        for (const std::string& peer : f.one_way_from.peers) {
          if (std::find(to.begin(), to.end(), peer) != to.end()) {
            report.fail(child(path, "one_way"),
                        fmt::format("peer \"{}\" is in both from and to", peer));
          }
        }
      }
    }
    if (f.kind == FaultKind::kHeal && !f.name.empty() && !partition_names.contains(f.name)) {
      report.fail(child(path, "name"), fmt::format("no partition is named \"{}\"", f.name),
                  "the name of a partition fault, or no name to heal every partition");
    }
    const bool orderer_kind = f.kind == FaultKind::kOrdererDown ||
                              f.kind == FaultKind::kOrdererRefuse ||
                              f.kind == FaultKind::kOrdererUp;
    if (orderer_kind && !s.blocks.enabled) {
      report.fail(child(path, "kind"),
                  fmt::format("an {} fault without a `blocks` section", to_string(f.kind)),
                  "a `blocks` section: the simulated orderer exists only with blocks");
    }
    if (!f.channel.empty() && !channel_by_name.contains(f.channel)) {
      report.fail(child(path, "channel"), fmt::format("unknown channel \"{}\"", f.channel),
                  "a channel of network.channels");
    }
    if (f.empty_ledger && !s.blocks.enabled) {
      report.fail(child(path, "empty_ledger"), "empty_ledger without a `blocks` section",
                  "a `blocks` section: without it peers keep no ledger");
    }
    if (f.kind == FaultKind::kSkew && !(f.rate > 0 && f.rate <= 10)) {
      report.fail(child(path, "rate"), fmt::format("clock rate {} is out of range", f.rate),
                  "a rate above 0 and at most 10, such as 1.05 (5% fast)");
    }
    if (f.kind == FaultKind::kLink) {
      if (f.link.latency) check_non_negative(child(path, "latency"), *f.link.latency);
      if (f.link.jitter) check_non_negative(child(path, "jitter"), *f.link.jitter);
      if (f.link.loss) check_probability(child(path, "loss"), *f.link.loss);
      if (f.link.duplicate) check_probability(child(path, "duplicate"), *f.link.duplicate);
    }
  }
}

}  // namespace detail

void validate_scenario(const Scenario& scenario, std::string_view source) {
  detail::check_scenario(scenario, detail::Reporter(std::string(source), nullptr));
}

TopologySize measure_topology(const Scenario& s) {
  TopologySize size;
  // Per org: the channels it is a member of, and how many of its peers are
  // listed in `joins` (those join what they list; the others join all).
  std::map<std::string, std::vector<std::string>> channels_of;
  for (const ChannelSpec& channel : s.channels)
    for (const std::string& org : channel.orgs) channels_of[org].push_back(channel.name);
  std::map<std::string, std::string> org_of_listed;  // peer name -> org, for listed peers
  std::map<std::string, std::uint64_t> listed;
  for (const OrgSpec& org : s.orgs) {
    const std::string suffix = "." + org.name;
    for (const auto& [peer, channels] : s.joins)
      if (peer.ends_with(suffix)) org_of_listed[peer] = org.name;
  }
  for (const auto& [peer, org] : org_of_listed) ++listed[org];
  // (channel, org) group sizes.
  std::map<std::pair<std::string, std::string>, std::uint64_t> groups;
  std::map<std::string, std::uint64_t> peers_of;
  for (const OrgSpec& org : s.orgs) {
    const auto n = static_cast<std::uint64_t>(std::max(org.peers, 0));
    size.peers += n;
    peers_of[org.name] = n;
    const std::uint64_t implicit = n - std::min(n, listed[org.name]);
    for (const std::string& channel : channels_of[org.name])
      groups[{channel, org.name}] += implicit;
  }
  for (const auto& [peer, org] : org_of_listed)
    for (const std::string& channel : s.joins.at(peer)) ++groups[{channel, org}];
  double storm = 0;
  for (const auto& [group, n] : groups) {
    size.memberships += n;
    size.largest_group = std::max(size.largest_group, n);
    storm += static_cast<double>(n) * static_cast<double>(n);
  }
  // Peers that see each other: an org's own peers, and the peers of every org it
  // shares a channel with (external endpoints).
  double visible_pairs = 0;
  for (const OrgSpec& org : s.orgs) {
    std::set<std::string> seen = {org.name};
    for (const std::string& channel : channels_of[org.name])
      for (const ChannelSpec& c : s.channels)
        if (c.name == channel) seen.insert(c.orgs.begin(), c.orgs.end());
    double visible = 0;
    for (const std::string& other : seen) visible += static_cast<double>(peers_of[other]);
    visible_pairs += static_cast<double>(peers_of[org.name]) * visible;
  }
  // Per-unit costs measured with fabnet_sim_scale_bench (bench/README.md) and
  // rounded up: gossip keeps membership state per visible pair; ideal keeps, in
  // the worst case of every member proposing at once, one in-flight delivery
  // (12 B) and one stale-filter entry (16 B) per pair of group members, plus the
  // filters' sparse phase and allocator slack: 4.3 GB measured for 10^8 pairs.
  const double peers = static_cast<double>(size.peers);
  const double memberships = static_cast<double>(size.memberships);
  if (s.membership == MembershipModel::kGossip) {
    size.estimated_bytes = 64.0 * 1024 * peers + 2048.0 * memberships + 256.0 * visible_pairs;
  } else {
    size.estimated_bytes = 8.0 * 1024 * peers + 2048.0 * memberships + 48.0 * storm;
  }
  return size;
}

void check_topology(const Scenario& scenario, std::string_view source) {
  const TopologySize size = measure_topology(scenario);
  const detail::Reporter report(std::string(source), nullptr);
  constexpr std::string_view kSee = "(docs/scenario-format.md, \"Limits\")";
  if (size.peers > kMaxPeers) {
    report.fail(
        "network.orgs",
        fmt::format("{} peers in the network exceed the limit of {}", size.peers, kMaxPeers),
        fmt::format("fewer peers {}", kSee));
  }
  if (size.memberships > kMaxMemberships) {
    report.fail("network.channels",
                fmt::format("{} (peer, channel) memberships exceed the limit of {}",
                            size.memberships, kMaxMemberships),
                fmt::format("fewer peers or channels {}", kSee));
  }
  if (size.estimated_bytes > kMaxEstimatedBytes) {
    const double gib = 1024.0 * 1024 * 1024;
    report.fail(
        "network",
        fmt::format("estimated memory {:.1f} GiB in the {} membership model exceeds the limit of "
                    "{:.0f} GiB ({} peers, {} memberships, largest (channel, org) group {})",
                    size.estimated_bytes / gib, to_string(scenario.membership),
                    kMaxEstimatedBytes / gib, size.peers, size.memberships, size.largest_group),
        scenario.membership == MembershipModel::kGossip
            ? fmt::format("a smaller network, or membership: ideal for elections alone {}", kSee)
            : fmt::format("smaller (channel, org) groups {}", kSee));
  }
}

}  // namespace fabnet::sim
