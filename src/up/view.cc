#include "up/view.h"

#include <fmt/format.h>

#include <algorithm>

namespace fabnet::up {
namespace {

bool member_of(const PeerSample& p, const std::string& channel, const std::string& org) {
  return p.org == org &&
         std::find(p.channels.begin(), p.channels.end(), channel) != p.channels.end();
}

std::string short_name(const std::string& peer) {
  return peer.substr(0, peer.find('.'));
}

}  // namespace

GroupLeader group_leader(const Snapshot& s, const std::string& channel, const std::string& org) {
  GroupLeader g;
  std::vector<const PeerSample*> up;
  for (const PeerSample& p : s.peers) {
    if (!member_of(p, channel, org) || p.health != PeerSample::Health::kUp) continue;
    const auto it = p.on.find(channel);
    if (it == p.on.end()) continue;
    up.push_back(&p);
    if (it->second.is_leader) g.leaders.push_back(p.name);
  }
  if (g.leaders.size() != 1) return g;
  std::string pki;
  for (const PeerSample* p : up)
    if (p->name == g.leaders.front()) pki = p->pki_id;
  g.agreed = !pki.empty();
  for (const PeerSample* p : up)
    if (p->on.at(channel).believed_leader != pki) g.agreed = false;
  return g;
}

std::vector<Event> Tracker::observe(const Snapshot& s) {
  std::vector<Event> events;
  auto add = [&](Event::Kind kind, std::string text) {
    events.push_back({s.t, kind, std::move(text)});
  };

  for (const PeerSample& p : s.peers) {
    const auto before = health_.find(p.name);
    const PeerSample::Health was =
        before == health_.end() ? PeerSample::Health::kSilent : before->second;
    if (before != health_.end() && was != p.health) {
      switch (p.health) {
        case PeerSample::Health::kDown:
          add(Event::Kind::kPeerDown, p.name + " is down");
          break;
        case PeerSample::Health::kPaused:
          add(Event::Kind::kPeerPaused, p.name + " is paused");
          break;
        case PeerSample::Health::kUp:
          if (was == PeerSample::Health::kDown || was == PeerSample::Health::kPaused)
            add(Event::Kind::kPeerBack, p.name + " is back");
          break;
        case PeerSample::Health::kSilent:
          break;
      }
    }
    if (p.health != PeerSample::Health::kSilent || before == health_.end())
      health_[p.name] = p.health;
  }

  for (const std::string& channel : s.channels) {
    const auto oh = s.orderer_height.find(channel);
    if (oh != s.orderer_height.end() && oh->second >= 0) {
      auto& h = heights_[channel];
      h.emplace_back(s.t, oh->second);
      while (h.size() > 2 && s.t - h.front().first > 5.0) h.pop_front();
    }
    for (const std::string& org : s.channel_orgs.at(channel)) {
      const auto key = std::make_pair(channel, org);
      GroupState& g = groups_[key];
      const GroupLeader now = group_leader(s, channel, org);
      // A sole leader that already held the group keeps it while a member (say one
      // just restarted) has not named it yet; a new leader needs everyone's agreement.
      const bool kept = now.leaders.size() == 1 && now.leaders.front() == g.leader;
      const std::string leader = kept ? g.leader : now.agreed_leader();
      if (now.leaders.size() >= 2 && g.leaders_seen < 2)
        add(Event::Kind::kTwoLeaders,
            fmt::format("{}/{}: {} leaders: {}", channel, org, now.leaders.size(),
                        fmt::join(now.leaders, ", ")));
      g.leaders_seen = static_cast<int>(now.leaders.size());
      if (leader == g.leader) continue;
      if (leader.empty()) {
        // Lost: the failover clock starts now.
        g.leaderless_since = s.t;
        g.last_leader = g.leader;
        g.leader.clear();
        history_[key].push_back({s.t, ""});
        if (now.leaders.empty())
          add(Event::Kind::kNoLeader, fmt::format("{}/{}: no leader", channel, org));
        continue;
      }
      std::string text = fmt::format("{}/{}: leader {}", channel, org, leader);
      if (!g.ever) {
        text += fmt::format(" (first, {:.1f}s after start)", s.t);
      } else if (!g.last_leader.empty() && g.last_leader != leader) {
        const Failover f{channel, org, g.leaderless_since, s.t, g.last_leader, leader};
        failovers_.push_back(f);
        text += fmt::format(" (was {}; failover {:.1f}s)", g.last_leader, f.seconds());
      } else if (g.last_leader == leader) {
        text += fmt::format(" (kept, after {:.1f}s without agreement)", s.t - g.leaderless_since);
      }
      g.ever = true;
      g.leader = leader;
      history_[key].push_back({s.t, leader});
      add(Event::Kind::kLeader, std::move(text));
    }
    for (const PeerSample& p : s.peers) {
      const auto on = p.on.find(channel);
      if (on == p.on.end() || oh == s.orderer_height.end() || oh->second < 0 ||
          on->second.height < 0 || p.health != PeerSample::Health::kUp)
        continue;
      const long long lag = std::max(0LL, oh->second - on->second.height);
      const auto key = std::make_pair(p.name, channel);
      if (lag > worst_lag_) {
        worst_lag_ = lag;
        worst_lag_peer_ = p.name + " on " + channel;
      }
      auto it = behind_.find(key);
      if (lag > lag_threshold_) {
        if (it == behind_.end()) it = behind_.emplace(key, Behind{s.t, lag}).first;
        it->second.worst = std::max(it->second.worst, lag);
      } else if (lag == 0 && it != behind_.end()) {
        const CatchUp c{p.name, channel, it->second.worst, s.t - it->second.since};
        catch_ups_.push_back(c);
        add(Event::Kind::kCaughtUp,
            fmt::format("{} caught up on {}: {} blocks behind at worst, level after {:.1f}s",
                        p.name, channel, c.blocks, c.seconds));
        behind_.erase(it);
      }
    }
  }
  last_ = s;
  return events;
}

double Tracker::blocks_per_second(const std::string& channel) const {
  const auto it = heights_.find(channel);
  if (it == heights_.end() || it->second.size() < 2) return 0;
  const auto& [t0, h0] = it->second.front();
  const auto& [t1, h1] = it->second.back();
  return t1 > t0 ? static_cast<double>(h1 - h0) / (t1 - t0) : 0;
}

bool Tracker::all_settled() const {
  if (!last_) return false;
  for (const std::string& channel : last_->channels)
    for (const std::string& org : last_->channel_orgs.at(channel)) {
      const auto it = groups_.find({channel, org});
      if (it == groups_.end() || it->second.leader.empty()) return false;
    }
  return true;
}

std::string format_event(const Event& e) {
  return fmt::format("[{:7.1f}s] {}", e.t, e.text);
}

std::string plain_text(const Line& line) {
  std::string out;
  for (const Span& s : line) out += s.text;
  return out;
}

std::vector<Line> render(const ViewHeader& header, const Snapshot& s, const Tracker& tracker,
                         const std::deque<Event>& recent, std::size_t max_events) {
  std::vector<Line> lines;
  int up = 0;
  for (const PeerSample& p : s.peers) up += p.health == PeerSample::Health::kUp;
  lines.push_back(
      {{"fabnet up", Style::kBold},
       {fmt::format("  {}  t={:.0f}s  peers {}/{} up  orderer {}  load {:g} tx/s per channel  "
                    "TLS {}",
                    header.dir, s.t, up, s.peers.size(), s.orderer_up ? "up" : "DOWN",
                    header.load_rate, header.tls ? "on" : "off")}});
  if (!s.orderer_up) lines.back().back().style = Style::kAlert;
  for (const std::string& channel : s.channels) {
    const auto oh = s.orderer_height.find(channel);
    const long long top = oh == s.orderer_height.end() ? -1 : oh->second;
    lines.push_back({});
    lines.push_back({{channel, Style::kBold},
                     {fmt::format("  orderer height {}  {:.1f} blocks/s",
                                  top < 0 ? std::string("?") : std::to_string(top),
                                  tracker.blocks_per_second(channel))}});
    for (const std::string& org : s.channel_orgs.at(channel)) {
      Line line;
      const GroupLeader g = group_leader(s, channel, org);
      line.push_back({fmt::format("  {:<6} ", org)});
      if (g.leaders.empty()) {
        line.push_back({fmt::format("{:<14}", "none"), Style::kAlert});
      } else if (g.leaders.size() > 1) {
        line.push_back(
            {fmt::format("{:<14}", fmt::format("{} leaders", g.leaders.size())), Style::kAlert});
      } else {
        line.push_back({fmt::format("{:<14}", g.leaders.front() + (g.agreed ? "" : "?")),
                        g.agreed ? Style::kGood : Style::kPlain});
      }
      for (const PeerSample& p : s.peers) {
        if (!member_of(p, channel, org)) continue;
        const std::string name = short_name(p.name);
        switch (p.health) {
          case PeerSample::Health::kDown:
            line.push_back({fmt::format(" {} down", name), Style::kAlert});
            continue;
          case PeerSample::Health::kPaused:
            line.push_back({fmt::format(" {} paused", name), Style::kAlert});
            continue;
          case PeerSample::Health::kSilent:
            line.push_back({fmt::format(" {} ?", name), Style::kDim});
            continue;
          case PeerSample::Health::kUp:
            break;
        }
        const auto on = p.on.find(channel);
        const long long h = on == p.on.end() ? -1 : on->second.height;
        const long long lag = h >= 0 && top >= 0 ? std::max(0LL, top - h) : 0;
        line.push_back({fmt::format(" {} {}", name, h < 0 ? std::string("?") : std::to_string(h))});
        if (lag > 0)
          line.push_back({fmt::format(" (-{})", lag), lag > 2 ? Style::kAlert : Style::kDim});
      }
      lines.push_back(std::move(line));
    }
  }
  if (max_events == 0) return lines;  // a summary without events (status, --detach)
  lines.push_back({});
  lines.push_back({{"Events", Style::kBold}});
  const std::size_t from = recent.size() > max_events ? recent.size() - max_events : 0;
  for (std::size_t i = from; i < recent.size(); ++i) {
    const Event& e = recent[i];
    const bool bad = e.kind == Event::Kind::kNoLeader || e.kind == Event::Kind::kTwoLeaders ||
                     e.kind == Event::Kind::kPeerDown || e.kind == Event::Kind::kPeerPaused;
    lines.push_back({{"  " + format_event(e), bad ? Style::kAlert : Style::kPlain}});
  }
  if (recent.empty()) lines.push_back({{"  (none yet)", Style::kDim}});
  return lines;
}

}  // namespace fabnet::up
