// Random scenarios for `fabnet sim --explore`.

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "config/core_config.h"
#include "sim/random.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace fabnet::sim {

Scenario random_scenario(std::uint64_t seed) {
  using std::chrono::milliseconds;
  std::mt19937_64 random(seed ^ 0x5ce7a410'c0ffee00ULL);
  auto between = [&](std::int64_t low, std::int64_t high) {
    return draw_between(random, low, high);
  };
  auto ms_between = [&](std::int64_t low, std::int64_t high) {
    return Duration(milliseconds(between(low, high)));
  };
  auto chance = [&](double p) { return draw_chance(random, p); };

  Scenario s;
  s.name = fmt::format("explore-{}", seed);
  s.seed = seed;

  const int org_count = static_cast<int>(between(1, 4));
  for (int i = 1; i <= org_count; ++i) {
    s.orgs.push_back(OrgSpec{fmt::format("org{}", i), fmt::format("Org{}MSP", i),
                             static_cast<int>(between(1, 8))});
  }
  const int channel_count = static_cast<int>(between(1, 3));
  for (int c = 1; c <= channel_count; ++c) {
    ChannelSpec channel{fmt::format("channel{}", c), {}};
    for (const OrgSpec& org : s.orgs) {
      if (chance(0.6)) channel.orgs.push_back(org.name);
    }
    if (channel.orgs.empty())
      channel.orgs.push_back(s.orgs[draw_below(random, s.orgs.size())].name);
    s.channels.push_back(std::move(channel));
  }
  for (const OrgSpec& org : s.orgs) {  // every org in some channel
    const bool member = std::any_of(s.channels.begin(), s.channels.end(), [&](const auto& c) {
      return std::find(c.orgs.begin(), c.orgs.end(), org.name) != c.orgs.end();
    });
    if (!member) s.channels[draw_below(random, s.channels.size())].orgs.push_back(org.name);
  }
  for (ChannelSpec& channel : s.channels) {  // in network order, as a reader expects
    std::sort(channel.orgs.begin(), channel.orgs.end());
  }
  // A few peers join only some of their org's channels.
  for (const PeerSpec& peer : scenario_peers(s)) {
    if (peer.channels.size() < 2 || !chance(0.15)) continue;
    std::vector<std::string> subset;
    for (const std::string& channel : peer.channels) {
      if (chance(0.5)) subset.push_back(channel);
    }
    if (subset.empty()) subset.push_back(peer.channels.front());
    s.joins[peer.name] = subset;
  }
  s.start_spread = ms_between(0, 500);

  // Fast timings: every gossip and election period about a tenth of Fabric's.
  config::GossipSettings& g = s.settings.gossip;
  g = config::default_core_config().gossip;
  g.use_leader_election = true;
  g.org_leader = false;
  g.election.startup_grace_period = milliseconds(1000);
  g.election.membership_sample_interval = milliseconds(100);
  g.election.leader_alive_threshold = milliseconds(1000);
  g.election.leader_election_duration = milliseconds(500);
  g.alive_time_interval = milliseconds(500);
  g.alive_expiration_timeout = milliseconds(2500);
  g.reconnect_interval = milliseconds(2500);
  g.pull_interval = milliseconds(500);
  g.publish_state_info_interval = milliseconds(500);
  g.request_state_info_interval = milliseconds(500);

  s.link.latency = ms_between(1, 10);
  s.link.jitter = ms_between(0, 10);
  s.link.loss = chance(0.5) ? static_cast<double>(between(1, 50)) / 1000 : 0.0;
  s.link.duplicate = chance(0.3) ? static_cast<double>(between(1, 50)) / 1000 : 0.0;

  // Fault episodes; each one that takes something away also undoes it (except
  // crashes, which may stay), so the network can settle after the last fault.
  const std::vector<PeerSpec> peers = scenario_peers(s);
  auto any_peer = [&] { return peers[draw_below(random, peers.size())].name; };
  auto any_group = [&] {
    const ChannelSpec& channel = s.channels[draw_below(random, s.channels.size())];
    return LeaderOf{channel.name, channel.orgs[draw_below(random, channel.orgs.size())]};
  };
  auto target = [&](Fault& f) {
    if (chance(0.5)) {
      f.leader_of = any_group();
    } else {
      f.peers = {any_peer()};
    }
  };
  const int episodes = static_cast<int>(between(1, 5));
  for (int e = 0; e < episodes; ++e) {
    Fault f;
    f.at = ms_between(2000, 12000);
    switch (draw_below(random, 6)) {
      case 0:
      case 1: {
        f.kind = FaultKind::kCrash;
        target(f);
        s.faults.push_back(f);
        // A peer may stay down for good, unless it is a bootstrap peer (peer0 or
        // peer1 of its org) or unknown yet (leader_of): a peer that restarts
        // with its bootstrap peer gone, unknown to the others, stays alone for
        // ever in Fabric too, and the settled-state checks assume it cannot.
        const bool may_stay_down = !f.leader_of && !f.peers.front().starts_with("peer0.") &&
                                   !f.peers.front().starts_with("peer1.");
        if (!may_stay_down || chance(0.7)) {
          Fault restart;
          restart.kind = FaultKind::kRestart;
          restart.at = f.at + ms_between(500, 5000);
          if (!f.leader_of) restart.peers = f.peers;  // else: every crashed peer
          s.faults.push_back(restart);
        }
        break;
      }
      case 2: {
        f.kind = FaultKind::kPause;
        target(f);
        s.faults.push_back(f);
        Fault resume;
        resume.kind = FaultKind::kResume;
        resume.at = f.at + ms_between(300, 5000);
        if (!f.leader_of) resume.peers = f.peers;
        s.faults.push_back(resume);
        break;
      }
      case 3: {
        f.kind = FaultKind::kPartition;
        f.name = fmt::format("p{}", e);
        if (chance(0.25)) {
          for (const PeerSpec& peer : peers) {
            (chance(0.3) ? f.one_way_from : f.one_way_to).peers.push_back(peer.name);
          }
          if (f.one_way_from.empty()) {
            f.one_way_from.peers.push_back(f.one_way_to.peers.back());
            f.one_way_to.peers.pop_back();
          }
          if (f.one_way_to.empty()) break;  // a single peer: nothing to cut
        } else {
          const int side_count = static_cast<int>(between(2, 3));
          std::vector<std::vector<std::string>> sides(static_cast<std::size_t>(side_count));
          for (const PeerSpec& peer : peers) {
            sides[draw_below(random, sides.size())].push_back(peer.name);
          }
          for (int i = 0; i < side_count; ++i) {
            if (!sides[static_cast<std::size_t>(i)].empty()) {
              f.sides.emplace_back(fmt::format("side{}", i),
                                   PeerSet{sides[static_cast<std::size_t>(i)], {}});
            }
          }
          if (f.sides.empty()) break;
        }
        s.faults.push_back(f);
        Fault heal;
        heal.kind = FaultKind::kHeal;
        heal.name = f.name;
        heal.at = f.at + ms_between(1000, 5000);
        s.faults.push_back(heal);
        break;
      }
      case 4:
        f.kind = FaultKind::kSkew;
        target(f);
        f.rate = static_cast<double>(between(950, 1050)) / 1000;
        s.faults.push_back(f);
        break;
      default:
        f.kind = FaultKind::kLink;
        f.link.loss = static_cast<double>(between(0, 50)) / 1000;
        if (chance(0.5)) f.link.latency = ms_between(1, 20);
        s.faults.push_back(f);
        break;
    }
  }
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  Duration last_fault{0};
  for (const Fault& f : s.faults) last_fault = std::max(last_fault, f.at);
  // Settle, then leave room for the invariant checks and their confirmation;
  // whole seconds read better.
  const Duration end =
      last_fault + settling_time(s) + transient_allowance(s) + std::chrono::seconds(2);
  s.duration = std::chrono::ceil<std::chrono::seconds>(end);
  // Blocks in half of the scenarios (drawn last, so the draws above, and the
  // scenarios without blocks, are those of before blocks existed): a steady
  // rate, maybe an orderer outage among the faults, cuts stopping when the tail
  // begins so that the end-of-run chain check is exact.
  if (chance(0.5)) {
    s.blocks.enabled = true;
    s.blocks.rate = static_cast<double>(between(1, 10));
    s.blocks.envelopes = static_cast<int>(between(1, 3));
    s.blocks.envelope_bytes = 100;
    s.blocks.from = ms_between(0, 5000);
    if (chance(0.3)) {
      Fault down;
      down.kind = chance(0.5) ? FaultKind::kOrdererDown : FaultKind::kOrdererRefuse;
      down.at = ms_between(5000, std::max<std::int64_t>(5001, last_fault.count() / 1'000'000));
      Fault up;
      up.kind = FaultKind::kOrdererUp;
      up.at = down.at + ms_between(500, 20000);
      s.faults.push_back(down);
      s.faults.push_back(up);
      std::stable_sort(s.faults.begin(), s.faults.end(),
                       [](const Fault& a, const Fault& b) { return a.at < b.at; });
      last_fault = std::max(last_fault, up.at);
    }
    const Duration settle = block_settling_time(s);
    const Duration block_end = last_fault + settle + std::chrono::seconds(2);
    s.duration = std::chrono::ceil<std::chrono::seconds>(
        std::max(s.duration, block_end + settling_time(s) + transient_allowance(s)));
    s.blocks.until = std::max(s.blocks.from, s.duration - settle);
  }
  validate_scenario(s, s.name);
  return s;
}

}  // namespace fabnet::sim
