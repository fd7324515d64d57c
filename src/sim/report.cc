#include "sim/report.h"

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
#include "sim/scenario.h"

namespace fabnet::sim {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// Report sections list at most this many items and say how many they left out;
// report.json always has everything.
constexpr std::size_t kMaxGroupsListed = 50;
constexpr std::size_t kMaxChangesListed = 12;
constexpr std::size_t kChangesPerLine = 4;
constexpr std::size_t kMaxFailoversListed = 50;
constexpr std::size_t kMaxFaultsListed = 50;
constexpr std::size_t kMaxLeadersAtEndListed = 3;

double to_seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string group_name(const GroupReport& g) {
  return g.channel + "/" + g.org;
}

// Terminal columns of UTF-8 text (every code point counts as one).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

// "a, b, c and 4 more".
std::string join_truncated(const std::vector<std::string>& items, std::size_t max) {
  if (items.size() <= max) return join(items, ", ");
  std::vector<std::string> shown(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(max));
  return fmt::format("{} and {} more", join(shown, ", "), items.size() - max);
}

std::string format_bytes(double bytes) {
  constexpr std::array<std::string_view, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

// Columns of text padded to their widest cell; right-aligned ones hold numbers.
class TextTable {
 public:
  TextTable(std::vector<std::string> headers, std::vector<bool> right_aligned)
      : right_aligned_(std::move(right_aligned)) {
    rows_.push_back(std::move(headers));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void print(std::ostream& out, std::string_view indent = "  ") const {
    std::vector<std::size_t> widths(rows_.front().size(), 0);
    for (const auto& row : rows_)
      for (std::size_t c = 0; c < row.size(); ++c)
        widths[c] = std::max(widths[c], display_width(row[c]));
    for (const auto& row : rows_) {
      std::string line(indent);
      for (std::size_t c = 0; c < row.size(); ++c) {
        const std::string padding(widths[c] - display_width(row[c]), ' ');
        if (c > 0) line += "  ";
        line += right_aligned_[c] ? padding + row[c] : row[c] + padding;
      }
      line.erase(line.find_last_not_of(' ') + 1);
      out << line << '\n';
    }
  }

 private:
  std::vector<bool> right_aligned_;
  std::vector<std::vector<std::string>> rows_;
};

// Nearest-rank percentile of sorted, non-empty values; p in (0, 1].
Duration percentile(const std::vector<Duration>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

std::string optional_duration(const std::optional<Duration>& d, std::string_view none = "-") {
  return d ? format_report_duration(*d) : std::string(none);
}

std::string bound_text(const FailoverBound& b) {
  return fmt::format("{} .. {}", format_report_duration(b.low), format_report_duration(b.high));
}

bool within(const FailoverBound& b, Duration d) {
  return d >= b.low && d <= b.high;
}

// ---- JSON -------------------------------------------------------------------

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
    json failover{{"cause", f.cause},
                  {"old_leader", f.old_leader},
                  {"new_leader", f.recovered_at ? json(f.new_leader) : json(nullptr)},
                  {"recovered", f.recovered_at.has_value()}};
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

// Messages per peer per second over the run; 0 when the run is empty.
double per_peer_second(double amount, const SimResult& r) {
  const double peer_seconds = static_cast<double>(r.peers) * to_seconds(r.duration);
  return peer_seconds > 0 ? amount / peer_seconds : 0;
}

std::set<std::string> message_types(const MessageStats& m) {
  std::set<std::string> types;
  for (const auto& [type, n] : m.count) types.insert(type);
  for (const auto& [type, n] : m.bytes) types.insert(type);
  return types;
}

std::uint64_t lookup(const std::map<std::string, std::uint64_t>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

// ---- SVG --------------------------------------------------------------------

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Cuts `text` to `max` code points, ending in an ellipsis when cut.
std::string clip(std::string_view text, std::size_t max) {
  if (display_width(text) <= max) return std::string(text);
  std::string out;
  std::size_t points = 0;
  for (char c : text) {
    if ((c & 0xC0) != 0x80 && ++points > max - 1) break;
    out += c;
  }
  return out + "…";
}

class SvgWriter {
 public:
  template <typename... Args>
  void add(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(text_), format, std::forward<Args>(args)...);
    text_ += '\n';
  }
  std::string finish(double width, double height) const {
    return fmt::format(
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
               "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"Helvetica, Arial, sans-serif\">\n"
               "<rect x=\"0\" y=\"0\" width=\"{0:.0f}\" height=\"{1:.0f}\" fill=\"#ffffff\"/>\n",
               width, height) +
           text_ + "</svg>\n";
  }

 private:
  std::string text_;
};

// A step for about `max_ticks` ticks over `span`, from a 1-2-5 ladder of
// durations that also holds the clock's natural units (15s, 30s, 1m, ...).
Duration tick_step(Duration span, int max_ticks) {
  using namespace std::chrono;
  static const std::vector<Duration> kSteps = {
      milliseconds(1),  milliseconds(2),   milliseconds(5),   milliseconds(10),  milliseconds(20),
      milliseconds(50), milliseconds(100), milliseconds(200), milliseconds(500), seconds(1),
      seconds(2),       seconds(5),        seconds(10),       seconds(15),       seconds(30),
      minutes(1),       minutes(2),        minutes(5),        minutes(10),       minutes(15),
      minutes(30),      hours(1),          hours(2),          hours(3),          hours(6),
      hours(12),        hours(24)};
  for (Duration step : kSteps)
    if (span / step <= max_ticks) return step;
  return span / max_ticks;
}

// Tick labels without Go's trailing zero units: "2m", "1h30m", "45s", "500ms".
std::string tick_label(Duration t) {
  using namespace std::chrono;
  if (t == Duration::zero()) return "0";
  if (t % minutes(1) == Duration::zero()) {
    const auto h = duration_cast<hours>(t).count();
    const auto m = duration_cast<minutes>(t).count() % 60;
    if (h == 0) return fmt::format("{}m", m);
    return m == 0 ? fmt::format("{}h", h) : fmt::format("{}h{}m", h, m);
  }
  return config::format_duration(t);
}

std::string_view fault_color(std::string_view kind) {
  static const std::map<std::string_view, std::string_view> kColors = {
      {"crash", "#d62728"},     {"restart", "#2ca02c"}, {"pause", "#ff7f0e"}, {"resume", "#17becf"},
      {"partition", "#9467bd"}, {"heal", "#8c564b"},    {"skew", "#7f7f7f"},  {"link", "#bcbd22"}};
  const auto it = kColors.find(kind);
  return it == kColors.end() ? "#444444" : it->second;
}

constexpr std::string_view kLeaderColor = "#2b6cb0";
constexpr std::string_view kNoLeaderColor = "#e53e3e";
constexpr std::string_view kSeveralColor = "#dd8a00";
constexpr std::string_view kCrashedColor = "#b8b8b8";
constexpr std::string_view kPausedColor = "#f1dca7";

// A stretch of a peer's life during which it was crashed or paused.
struct DownStretch {
  TimePoint from{0};
  TimePoint to{0};
  bool crashed = false;  // else paused
};

// Replays the fault marks: crash until restart, pause until resume. A restart
// or resume that names no peers ends every matching stretch.
std::map<std::string, std::vector<DownStretch>> down_stretches(const SimResult& r) {
  std::map<std::string, std::vector<DownStretch>> stretches;
  std::map<std::string, DownStretch> open;
  auto close = [&](const std::string& peer, TimePoint at, bool crashed) {
    const auto it = open.find(peer);
    if (it == open.end() || it->second.crashed != crashed) return;
    it->second.to = at;
    stretches[peer].push_back(it->second);
    open.erase(it);
  };
  for (const FaultMark& f : r.faults) {
    if (f.kind == "crash" || f.kind == "pause") {
      for (const std::string& p : f.peers)
        if (!open.contains(p)) open[p] = DownStretch{f.at, f.at, f.kind == "crash"};
    } else if (f.kind == "restart" || f.kind == "resume") {
      const bool crashed = f.kind == "restart";
      std::vector<std::string> peers = f.peers;
      if (peers.empty())
        for (const auto& [p, s] : open) peers.push_back(p);
      for (const std::string& p : peers) close(p, f.at, crashed);
    }
  }
  for (auto& [peer, s] : open) {
    s.to = r.duration;
    stretches[peer].push_back(s);
  }
  return stretches;
}

struct CountSegment {
  TimePoint from{0};
  TimePoint to{0};
  int leaders = 0;
};

// How many peers believed they led, over [0, end], from the spans.
std::vector<CountSegment> leader_count_segments(const GroupReport& g, TimePoint end) {
  std::vector<std::pair<TimePoint, int>> edges;
  for (const LeaderSpan& s : g.spans) {
    edges.emplace_back(s.from, +1);
    edges.emplace_back(s.to, -1);
  }
  std::sort(edges.begin(), edges.end());
  std::vector<CountSegment> segments;
  TimePoint at{0};
  int leaders = 0;
  for (const auto& [t, delta] : edges) {
    if (t > at) segments.push_back({at, t, leaders});
    at = std::max(at, t);
    leaders += delta;
  }
  if (end > at) segments.push_back({at, end, leaders});
  return segments;
}

// Which groups a capped timeline keeps first: failovers, then leader gaps,
// then several leaders, then the quiet ones.
int timeline_priority(const GroupReport& g) {
  if (!g.failovers.empty()) return 0;
  if (g.time_without_leader > Duration::zero()) return 1;
  if (g.time_with_several_leaders > Duration::zero()) return 2;
  return 3;
}

// Indices of up to `max` items, lowest `priority` first (ties by position),
// returned in their original order.
template <typename Item, typename Priority>
std::vector<std::size_t> pick(const std::vector<Item>& items, std::size_t max, Priority priority) {
  std::vector<std::pair<int, std::size_t>> ranked;
  ranked.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) ranked.emplace_back(priority(items[i]), i);
  std::sort(ranked.begin(), ranked.end());
  ranked.resize(std::min(max, ranked.size()));
  std::vector<std::size_t> picked;
  for (const auto& [rank, index] : ranked) picked.push_back(index);
  std::sort(picked.begin(), picked.end());
  return picked;
}

}  // namespace

// ---- numbers ----------------------------------------------------------------

FailoverBound failover_bound(const Scenario& scenario) {
  const election::ElectionTimings& t = scenario.settings.gossip.election;
  Duration shortest_delay = scenario.link.latency;
  Duration longest_delay = scenario.link.latency + scenario.link.jitter;
  double fastest_clock = 1.0;
  double slowest_clock = 1.0;
  for (const Fault& f : scenario.faults) {
    if (f.kind == FaultKind::kSkew) {
      fastest_clock = std::max(fastest_clock, f.rate);
      slowest_clock = std::min(slowest_clock, f.rate);
    } else if (f.kind == FaultKind::kLink) {
      const Duration latency = f.link.latency.value_or(scenario.link.latency);
      shortest_delay = std::min(shortest_delay, latency);
      longest_delay =
          std::max(longest_delay, latency + f.link.jitter.value_or(scenario.link.jitter));
    }
  }
  // election.md §5: detection takes between LAT/2 and 2·LAT after the fault,
  // then one LED of proposing; a fast clock shortens both, a slow one stretches.
  const auto scaled = [](Duration d, double rate) {
    return Duration(static_cast<std::int64_t>(static_cast<double>(d.count()) / rate));
  };
  FailoverBound bound;
  bound.low =
      std::max(Duration::zero(),
               scaled(t.leader_alive_threshold / 2 + t.leader_election_duration, fastest_clock) -
                   shortest_delay);
  bound.high = scaled(2 * t.leader_alive_threshold + t.leader_election_duration, slowest_clock) +
               longest_delay;
  return bound;
}

std::vector<FailoverStats> failover_stats(const std::vector<SimResult>& runs) {
  std::map<std::string, std::vector<Duration>> recovered;
  std::map<std::string, std::size_t> not_recovered;
  for (const SimResult& r : runs)
    for (const GroupReport& g : r.groups)
      for (const FailoverRecord& f : g.failovers) {
        for (const std::string& cause : {f.cause, std::string("all")}) {
          recovered[cause];  // every cause gets a row, even if nothing recovered
          if (const auto d = f.duration())
            recovered[cause].push_back(*d);
          else
            ++not_recovered[cause];
        }
      }
  recovered["all"];
  std::vector<FailoverStats> stats;
  auto make = [&](const std::string& cause) {
    std::vector<Duration>& d = recovered[cause];
    std::sort(d.begin(), d.end());
    FailoverStats s;
    s.cause = cause;
    s.not_recovered = not_recovered[cause];
    s.count = d.size() + s.not_recovered;
    if (!d.empty()) {
      s.min = d.front();
      s.median = percentile(d, 0.5);
      s.p90 = percentile(d, 0.9);
      s.max = d.back();
    }
    return s;
  };
  for (const auto& [cause, d] : recovered)
    if (cause != "all") stats.push_back(make(cause));
  stats.push_back(make("all"));
  return stats;
}

std::string format_report_duration(Duration d) {
  if (d == Duration::zero()) return "0s";
  const Duration magnitude = d < Duration::zero() ? -d : d;
  // Millisecond precision is plenty at simulation scale; below that keep µs.
  if (magnitude < milliseconds(1))
    return config::format_duration(std::chrono::round<std::chrono::microseconds>(d));
  return config::format_duration(std::chrono::round<milliseconds>(d));
}

// ---- text -------------------------------------------------------------------

void print_report(std::ostream& out, const SimResult& r,
                  const std::optional<FailoverBound>& bound) {
  fmt::print(out,
             "Scenario \"{}\", seed {}: {} peers in {} (channel, org) groups, {} of virtual time\n",
             r.scenario_name, r.seed, r.peers, r.groups.size(), format_report_duration(r.duration));
  if (r.membership == MembershipModel::kIdeal) {
    out << "Membership: ideal. Views come from the simulator's ground truth and only the\n"
           "elections' leadership messages travel; no alive, membership or StateInfo traffic.\n";
  }

  out << "\nLeadership per (channel, org)\n";
  TextTable leadership({"GROUP", "PEERS", "FIRST LEADER", "CHANGES", "FAILOVERS", "NO LEADER",
                        "SEVERAL LEADERS", "LEADERS AT END"},
                       {false, true, true, true, true, true, true, false});
  for (std::size_t i = 0; i < r.groups.size() && i < kMaxGroupsListed; ++i) {
    const GroupReport& g = r.groups[i];
    leadership.add(
        {group_name(g), std::to_string(g.peers.size()),
         optional_duration(g.time_to_first_leader, "never"), std::to_string(g.changes.size()),
         std::to_string(g.failovers.size()), format_report_duration(g.time_without_leader),
         format_report_duration(g.time_with_several_leaders),
         g.leaders_at_end.empty() ? "none"
                                  : join_truncated(g.leaders_at_end, kMaxLeadersAtEndListed)});
  }
  leadership.print(out);
  if (r.groups.size() > kMaxGroupsListed)
    fmt::print(out, "  ... and {} more groups (all in report.json)\n",
               r.groups.size() - kMaxGroupsListed);

  out << "\nFailovers (from the fault to exactly one leader again";
  if (bound) fmt::print(out, "; election.md §5 bound {}", bound_text(*bound));
  out << ")\n";
  TextTable failovers({"GROUP", "FAULT", "OLD LEADER", "NEW LEADER", "TOOK", ""},
                      {false, false, false, false, true, false});
  std::size_t failover_count = 0;
  for (const GroupReport& g : r.groups) {
    for (const FailoverRecord& f : g.failovers) {
      if (++failover_count > kMaxFailoversListed) continue;
      const auto took = f.duration();
      std::string verdict;
      if (bound && took) verdict = within(*bound, *took) ? "within bound" : "OUTSIDE bound";
      failovers.add({group_name(g),
                     fmt::format("{} at {}", f.cause, format_report_duration(f.fault_at)),
                     f.old_leader, took ? f.new_leader : "-",
                     took ? format_report_duration(*took) : "not recovered", verdict});
    }
  }
  if (failover_count == 0) {
    out << "  none\n";
  } else {
    failovers.print(out);
    if (failover_count > kMaxFailoversListed)
      fmt::print(out, "  ... and {} more (all in report.json)\n",
                 failover_count - kMaxFailoversListed);
  }

  out << "\nLeader changes (+ became leader, - stepped down)\n";
  for (std::size_t i = 0; i < r.groups.size() && i < kMaxGroupsListed; ++i) {
    const GroupReport& g = r.groups[i];
    fmt::print(out, "  {} ({}){}", group_name(g), g.changes.size(),
               g.changes.empty() ? ": none" : "");
    std::string line;
    for (std::size_t c = 0; c < g.changes.size() && c < kMaxChangesListed; ++c) {
      const LeadershipChangeRecord& change = g.changes[c];
      if (c % kChangesPerLine == 0) {
        out << line.substr(0, line.find_last_not_of(' ') + 1);
        line = "\n   ";
      }
      line += fmt::format(" {:>10} {}{:<12}", format_report_duration(change.at),
                          change.is_leader ? '+' : '-', change.peer);
    }
    out << line.substr(0, line.find_last_not_of(' ') + 1);
    if (g.changes.size() > kMaxChangesListed)
      fmt::print(out, "\n    ... and {} more", g.changes.size() - kMaxChangesListed);
    out << '\n';
  }
  if (r.groups.size() > kMaxGroupsListed)
    fmt::print(out, "  ... and {} more groups\n", r.groups.size() - kMaxGroupsListed);

  fmt::print(out, "\nFaults ({})\n", r.faults.size());
  if (r.faults.empty()) out << "  none\n";
  for (std::size_t i = 0; i < r.faults.size() && i < kMaxFaultsListed; ++i)
    fmt::print(out, "  {:>10}  {}\n", format_report_duration(r.faults[i].at),
               r.faults[i].description);
  if (r.faults.size() > kMaxFaultsListed)
    fmt::print(out, "  ... and {} more\n", r.faults.size() - kMaxFaultsListed);

  out << "\nMessages sent\n";
  TextTable messages({"TYPE", "COUNT", "PER PEER/S", "BYTES", "BYTES PER PEER/S"},
                     {false, true, true, true, true});
  std::uint64_t total_count = 0;
  std::uint64_t total_bytes = 0;
  auto add_message_row = [&](const std::string& type, std::uint64_t count, std::uint64_t bytes) {
    messages.add({type, std::to_string(count),
                  fmt::format("{:.3f}", per_peer_second(static_cast<double>(count), r)),
                  format_bytes(static_cast<double>(bytes)),
                  format_bytes(per_peer_second(static_cast<double>(bytes), r))});
  };
  for (const std::string& type : message_types(r.messages)) {
    const std::uint64_t count = lookup(r.messages.count, type);
    const std::uint64_t bytes = lookup(r.messages.bytes, type);
    total_count += count;
    total_bytes += bytes;
    add_message_row(type, count, bytes);
  }
  add_message_row("total", total_count, total_bytes);
  messages.print(out);
  fmt::print(out,
             "  lost {} · duplicated {} · blocked (partition or peer down) {} · unroutable {}\n",
             r.messages.lost, r.messages.duplicated, r.messages.blocked, r.messages.unroutable);

  fmt::print(out, "\nEvents: {} in {:.2f} s wall", r.events, r.wall_seconds);
  if (r.wall_seconds > 0)
    fmt::print(out, " ({:.2f} M events/s)", static_cast<double>(r.events) / r.wall_seconds / 1e6);
  fmt::print(out, "\nEvent log hash: {}\n", r.event_log_hash.empty() ? "-" : r.event_log_hash);
  if (r.violations.empty()) {
    out << "Violations: none\n";
  } else {
    fmt::print(out, "Violations ({}):\n", r.violations.size());
    for (const std::string& v : r.violations) fmt::print(out, "  {}\n", v);
  }
}

void print_run_summary(std::ostream& out, const SimResult& r) {
  std::size_t count = 0;
  std::size_t not_recovered = 0;
  std::optional<Duration> longest;
  Duration without_leader{0};
  Duration several_leaders{0};
  for (const GroupReport& g : r.groups) {
    without_leader += g.time_without_leader;
    several_leaders += g.time_with_several_leaders;
    for (const FailoverRecord& f : g.failovers) {
      ++count;
      if (const auto d = f.duration())
        longest = std::max(longest.value_or(*d), *d);
      else
        ++not_recovered;
    }
  }
  fmt::print(out,
             "seed {}: {} failovers (longest {}, {} not recovered), summed over groups no "
             "leader {} and several leaders {}, {} violations, {} events, hash {}\n",
             r.seed, count, optional_duration(longest), not_recovered,
             format_report_duration(without_leader), format_report_duration(several_leaders),
             r.violations.size(), r.events, r.event_log_hash.substr(0, 16));
}

void print_failover_summary(std::ostream& out, const std::vector<SimResult>& runs,
                            const std::optional<FailoverBound>& bound) {
  fmt::print(out, "Failovers over {} runs (from the fault to exactly one leader again)\n",
             runs.size());
  TextTable table({"CAUSE", "COUNT", "NOT RECOVERED", "MIN", "MEDIAN", "P90", "MAX"},
                  {false, true, true, true, true, true, true});
  for (const FailoverStats& s : failover_stats(runs))
    table.add({s.cause, std::to_string(s.count), std::to_string(s.not_recovered),
               optional_duration(s.min), optional_duration(s.median), optional_duration(s.p90),
               optional_duration(s.max)});
  table.print(out);
  if (!bound) return;
  std::size_t recovered = 0;
  std::size_t outside = 0;
  for (const SimResult& r : runs)
    for (const GroupReport& g : r.groups)
      for (const FailoverRecord& f : g.failovers)
        if (const auto d = f.duration()) {
          ++recovered;
          if (!within(*bound, *d)) ++outside;
        }
  fmt::print(out, "  election.md §5 bound {}: {} of {} recovered failovers outside it\n",
             bound_text(*bound), outside, recovered);
}

// ---- JSON -------------------------------------------------------------------

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

// ---- timeline SVG -------------------------------------------------------------

std::string render_timeline_svg(const SimResult& r, const TimelineOptions& options) {
  constexpr double kWidth = 1200;
  constexpr double kLabelWidth = 220;
  constexpr double kRightMargin = 24;
  constexpr double kPlotLeft = kLabelWidth;
  constexpr double kPlotWidth = kWidth - kLabelWidth - kRightMargin;
  constexpr double kFaultLabelTop = 56;
  constexpr double kFaultRowHeight = 12;
  constexpr int kFaultRows = 4;
  constexpr double kPlotTop = kFaultLabelTop + kFaultRows * kFaultRowHeight + 6;
  constexpr double kGroupHeaderHeight = 18;
  constexpr double kLaneHeight = 13;
  constexpr double kGroupGap = 8;

  const TimePoint end = std::max(r.duration, Duration(1));
  const auto x_of = [&](TimePoint t) {
    const TimePoint clamped = std::clamp(t, TimePoint{0}, end);
    return kPlotLeft +
           kPlotWidth * static_cast<double>(clamped.count()) / static_cast<double>(end.count());
  };

  const std::vector<std::size_t> shown_groups =
      pick(r.groups, options.max_groups, timeline_priority);
  const auto down = down_stretches(r);

  SvgWriter svg;
  svg.add("<title>{}</title>",
          xml_escape(fmt::format("fabnet sim timeline: {} (seed {})", r.scenario_name, r.seed)));
  svg.add("<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>",
          xml_escape(fmt::format("Leadership timeline: {} · seed {}", r.scenario_name, r.seed)));
  std::string subtitle = fmt::format("{} peers, {} (channel, org) groups, {} of virtual time",
                                     r.peers, r.groups.size(), format_report_duration(r.duration));
  if (shown_groups.size() < r.groups.size())
    subtitle += fmt::format(
        " — showing {} of {} groups (failovers first, then leader gaps); report.json has all",
        shown_groups.size(), r.groups.size());
  svg.add("<text x=\"12\" y=\"40\" font-size=\"11\" fill=\"#444\">{}</text>", xml_escape(subtitle));

  double y = kPlotTop;
  for (std::size_t gi = 0; gi < shown_groups.size(); ++gi) {
    const GroupReport& g = r.groups[shown_groups[gi]];
    std::set<std::string> led;
    for (const LeaderSpan& s : g.spans) led.insert(s.peer);
    const std::vector<std::size_t> shown_peers =
        pick(g.peers, options.max_peers_per_group,
             [&](const std::string& p) { return led.contains(p) || down.contains(p) ? 0 : 1; });

    svg.add("<g class=\"group\">");
    std::string header = fmt::format("{} ({} peers", group_name(g), g.peers.size());
    if (shown_peers.size() < g.peers.size())
      header += fmt::format(", {} not shown", g.peers.size() - shown_peers.size());
    header += ")";
    svg.add(
        "<text x=\"8\" y=\"{:.1f}\" font-size=\"11\" "
        "font-weight=\"bold\">{}<title>{}</title></text>",
        y + 13, xml_escape(clip(header, 36)), xml_escape(header));
    svg.add("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"1\" fill=\"#cccccc\"/>",
            kPlotLeft, y + 9, kPlotWidth);
    for (const CountSegment& s : leader_count_segments(g, end)) {
      const bool before_first = !g.time_to_first_leader || s.to <= *g.time_to_first_leader;
      const bool gap = s.leaders == 0 && !before_first;
      if (!gap && s.leaders <= 1) continue;
      const TimePoint from =
          gap ? std::max(s.from, g.time_to_first_leader.value_or(s.from)) : s.from;
      svg.add(
          "<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"8\" "
          "fill=\"{}\"><title>{}</title></rect>",
          gap ? "no-leader" : "several-leaders", x_of(from), y + 5,
          std::max(1.0, x_of(s.to) - x_of(from)), gap ? kNoLeaderColor : kSeveralColor,
          xml_escape(fmt::format("{}: {} leaders from {} to {}", group_name(g), s.leaders,
                                 format_report_duration(from), format_report_duration(s.to))));
    }
    y += kGroupHeaderHeight;

    for (std::size_t li = 0; li < shown_peers.size(); ++li) {
      const std::string& peer = g.peers[shown_peers[li]];
      svg.add("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>",
              kPlotLeft, y, kPlotWidth, kLaneHeight - 1, li % 2 == 0 ? "#f5f5f5" : "#ececec");
      svg.add("<text x=\"18\" y=\"{:.1f}\" font-size=\"10\">{}</text>", y + 9.5,
              xml_escape(clip(peer, 34)));
      if (const auto it = down.find(peer); it != down.end()) {
        for (const DownStretch& s : it->second)
          svg.add(
              "<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
              "fill=\"{}\"><title>{}</title></rect>",
              s.crashed ? "crashed" : "paused", x_of(s.from), y,
              std::max(1.0, x_of(s.to) - x_of(s.from)), kLaneHeight - 1,
              s.crashed ? kCrashedColor : kPausedColor,
              xml_escape(fmt::format("{} {} from {} to {}", peer, s.crashed ? "crashed" : "paused",
                                     format_report_duration(s.from),
                                     format_report_duration(s.to))));
      }
      for (const LeaderSpan& s : g.spans) {
        if (s.peer != peer) continue;
        svg.add(
            "<rect class=\"span\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
            "fill=\"{}\" rx=\"2\"><title>{}</title></rect>",
            x_of(s.from), y + 2, std::max(1.0, x_of(s.to) - x_of(s.from)), kLaneHeight - 5,
            kLeaderColor,
            xml_escape(fmt::format("{} leads {} from {} to {}", peer, group_name(g),
                                   format_report_duration(s.from), format_report_duration(s.to))));
      }
      y += kLaneHeight;
    }
    svg.add("</g>");
    y += kGroupGap;
  }
  if (shown_groups.empty()) {
    svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" fill=\"#666\">no groups</text>",
            kPlotLeft, y + 14);
    y += 24;
  }
  const double plot_bottom = y;

  // Time axis.
  const double axis_y = plot_bottom + 4;
  svg.add("<g class=\"axis\" font-size=\"10\" fill=\"#333\">");
  svg.add("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#333\"/>",
          kPlotLeft, axis_y, kPlotLeft + kPlotWidth, axis_y);
  const Duration step = tick_step(end, 12);
  for (Duration t{0}; t <= end; t += step) {
    const double x = x_of(t);
    svg.add("<line x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>",
            x, axis_y, axis_y + 5);
    svg.add(
        "<line x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\" stroke=\"#000\" "
        "stroke-opacity=\"0.08\"/>",
        x, kPlotTop, plot_bottom);
    svg.add("<text x=\"{:.2f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x, axis_y + 16,
            xml_escape(tick_label(t)));
  }
  svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">virtual time</text>",
          kPlotLeft + kPlotWidth / 2, axis_y + 30);
  svg.add("</g>");

  // Fault markers over everything; labels go to the first row free at their x.
  std::array<double, kFaultRows> row_end{};
  row_end.fill(-1e9);
  for (const FaultMark& f : r.faults) {
    const double x = x_of(f.at);
    std::size_t row = 0;
    for (std::size_t i = 0; i < row_end.size(); ++i) {
      if (row_end[i] < x) {
        row = i;
        break;
      }
      if (row_end[i] < row_end[row]) row = i;
    }
    const std::string label = f.kind;
    row_end[row] = x + 3 + 6.0 * static_cast<double>(label.size()) + 4;
    const double label_y = kFaultLabelTop + static_cast<double>(row) * kFaultRowHeight + 9;
    const std::string_view color = fault_color(f.kind);
    svg.add("<g class=\"fault\" data-kind=\"{}\">", xml_escape(f.kind));
    svg.add("<title>{}</title>",
            xml_escape(fmt::format("{}: {}", format_report_duration(f.at), f.description)));
    svg.add(
        "<line x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>",
        x, label_y - 8, plot_bottom, color);
    svg.add("<text x=\"{:.2f}\" y=\"{:.1f}\" font-size=\"10\" fill=\"{}\">{}</text>", x + 3,
            label_y, color, xml_escape(label));
    svg.add("</g>");
  }

  // Legend.
  const double legend_y = axis_y + 48;
  svg.add("<g class=\"legend\" font-size=\"11\">");
  double lx = 12;
  auto swatch = [&](std::string_view color, std::string_view text) {
    svg.add("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"18\" height=\"9\" fill=\"{}\"/>", lx,
            legend_y - 8, color);
    svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", lx + 23, legend_y, xml_escape(text));
    lx += 30 + 6.2 * static_cast<double>(display_width(text));
  };
  swatch(kLeaderColor, "believes it leads");
  swatch(kCrashedColor, "crashed");
  swatch(kPausedColor, "paused");
  swatch(kNoLeaderColor, "group without a leader");
  swatch(kSeveralColor, "group with several leaders");
  svg.add(
      "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#d62728\" "
      "stroke-dasharray=\"4 3\"/>",
      lx + 4, legend_y - 10, legend_y + 2);
  svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\">fault (hover for details)</text>", lx + 12, legend_y);
  svg.add("</g>");

  return svg.finish(kWidth, legend_y + 16);
}

// ---- failover CDF SVG -----------------------------------------------------------

std::string render_failover_cdf_svg(const std::vector<SimResult>& runs,
                                    const std::optional<FailoverBound>& bound) {
  constexpr double kWidth = 860;
  constexpr double kHeight = 500;
  constexpr double kLeft = 70;
  constexpr double kRight = 230;
  constexpr double kTop = 60;
  constexpr double kBottom = 60;
  constexpr double kPlotWidth = kWidth - kLeft - kRight;
  constexpr double kPlotHeight = kHeight - kTop - kBottom;
  static const std::vector<std::string_view> kCauseColors = {"#d62728", "#ff7f0e", "#9467bd",
                                                             "#17becf", "#8c564b", "#bcbd22"};

  // Durations per cause; not-recovered failovers count in the denominator only.
  std::map<std::string, std::vector<Duration>> recovered;
  std::map<std::string, std::size_t> totals;
  std::size_t total = 0;
  std::size_t not_recovered = 0;
  Duration longest{0};
  for (const SimResult& r : runs)
    for (const GroupReport& g : r.groups)
      for (const FailoverRecord& f : g.failovers) {
        ++total;
        ++totals[f.cause];
        if (const auto d = f.duration()) {
          recovered[f.cause].push_back(*d);
          longest = std::max(longest, *d);
        } else {
          ++not_recovered;
        }
      }
  std::vector<Duration> all;
  for (auto& [cause, d] : recovered) {
    std::sort(d.begin(), d.end());
    all.insert(all.end(), d.begin(), d.end());
  }
  std::sort(all.begin(), all.end());

  Duration x_max = longest;
  if (bound) x_max = std::max(x_max, bound->high);
  x_max = x_max + x_max / 20;
  if (x_max <= Duration::zero()) x_max = std::chrono::seconds(1);
  const Duration step = tick_step(x_max, 10);
  x_max = ((x_max + step - Duration(1)) / step) * step;  // end on a tick
  const auto x_of = [&](Duration d) {
    return kLeft + kPlotWidth * static_cast<double>(d.count()) / static_cast<double>(x_max.count());
  };
  const auto y_of = [&](double fraction) { return kTop + kPlotHeight * (1 - fraction); };

  SvgWriter svg;
  svg.add("<title>fabnet sim: failover time CDF</title>");
  svg.add("<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>",
          xml_escape(fmt::format("Failover time CDF: {} failovers over {} run{}", total,
                                 runs.size(), runs.size() == 1 ? "" : "s")));
  std::string subtitle =
      "from the fault (crash, pause, partition of a leader) to exactly one leader";
  if (not_recovered > 0)
    subtitle += fmt::format("; {} not recovered by the end of their run (the curve stops below 1)",
                            not_recovered);
  svg.add("<text x=\"12\" y=\"40\" font-size=\"11\" fill=\"#444\">{}</text>", xml_escape(subtitle));

  svg.add(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#fafafa\" "
      "stroke=\"#333\"/>",
      kLeft, kTop, kPlotWidth, kPlotHeight);
  if (bound) {
    const double x0 = x_of(bound->low);
    const double x1 = x_of(bound->high);
    svg.add("<g class=\"bound\">");
    svg.add("<title>{}</title>",
            xml_escape(fmt::format("election.md §5 bound: LAT/2+LED .. 2·LAT+LED = {}",
                                   bound_text(*bound))));
    svg.add(
        "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" fill=\"#2ca02c\" "
        "fill-opacity=\"0.12\"/>",
        x0, kTop, std::max(1.0, x1 - x0), kPlotHeight);
    for (double x : {x0, x1})
      svg.add(
          "<line x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\" stroke=\"#2ca02c\" "
          "stroke-dasharray=\"5 3\"/>",
          x, kTop, kTop + kPlotHeight);
    svg.add("<text x=\"{:.2f}\" y=\"{:.1f}\" font-size=\"10\" fill=\"#1e7a1e\">§5 bound</text>",
            x0 + 3, kTop + 12);
    svg.add("</g>");
  }

  // Axes, grid and labels.
  svg.add("<g class=\"axis\" font-size=\"10\" fill=\"#333\">");
  for (Duration t{0}; t <= x_max; t += step) {
    const double x = x_of(t);
    svg.add(
        "<line x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\" stroke=\"#000\" "
        "stroke-opacity=\"0.1\"/>",
        x, kTop, kTop + kPlotHeight + 5);
    svg.add("<text x=\"{:.2f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x,
            kTop + kPlotHeight + 18, xml_escape(tick_label(t)));
  }
  for (int i = 0; i <= 4; ++i) {
    const double fraction = i / 4.0;
    svg.add(
        "<line x1=\"{1:.1f}\" y1=\"{0:.2f}\" x2=\"{2:.1f}\" y2=\"{0:.2f}\" stroke=\"#000\" "
        "stroke-opacity=\"0.1\"/>",
        y_of(fraction), kLeft - 5, kLeft + kPlotWidth);
    svg.add("<text x=\"{:.1f}\" y=\"{:.2f}\" text-anchor=\"end\">{:.2f}</text>", kLeft - 8,
            y_of(fraction) + 3.5, fraction);
  }
  svg.add(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\">failover "
      "time (fault to exactly one leader)</text>",
      kLeft + kPlotWidth / 2, kHeight - 18);
  svg.add(
      "<text transform=\"translate(18 {:.1f}) rotate(-90)\" text-anchor=\"middle\" "
      "font-size=\"11\">fraction of failovers recovered within t</text>",
      kTop + kPlotHeight / 2);
  svg.add("</g>");

  // Curves and legend.
  double legend_y = kTop + 10;
  const double legend_x = kLeft + kPlotWidth + 16;
  auto curve = [&](std::string_view name, const std::vector<Duration>& sorted, std::size_t n,
                   std::string_view color, double width) {
    std::string path = fmt::format("M{:.2f},{:.2f}", x_of(Duration::zero()), y_of(0));
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      fmt::format_to(std::back_inserter(path), " H{:.2f} V{:.2f}", x_of(sorted[i]),
                     y_of(static_cast<double>(i + 1) / static_cast<double>(n)));
    }
    fmt::format_to(std::back_inserter(path), " H{:.2f}", x_of(x_max));
    // Per-cause curves are dashed so the "all" curve stays visible beneath them.
    const std::string_view dash = name == "all" ? "" : " stroke-dasharray=\"6 3\"";
    svg.add(
        "<path class=\"cdf\" data-cause=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"{:.1f}\"{}/>",
        xml_escape(name), path, color, width, dash);
    svg.add(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"{:.1f}\"{}/>",
        legend_x, legend_y - 4, legend_x + 22, legend_y - 4, color, width, dash);
    svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>", legend_x + 28, legend_y,
            xml_escape(fmt::format("{} ({} of {} recovered)", name, sorted.size(), n)));
    legend_y += 18;
  };
  if (total == 0) {
    svg.add(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"13\" "
        "fill=\"#666\">no failovers in these runs</text>",
        kLeft + kPlotWidth / 2, kTop + kPlotHeight / 2);
  } else {
    curve("all", all, total, "#222222", 2.2);
    if (totals.size() > 1) {
      std::size_t color = 0;
      for (const auto& [cause, n] : totals)
        curve(cause, recovered[cause], n, kCauseColors[color++ % kCauseColors.size()], 1.2);
    }
  }
  if (bound) {
    svg.add(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"22\" height=\"10\" fill=\"#2ca02c\" "
        "fill-opacity=\"0.25\"/>",
        legend_x, legend_y - 9);
    svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>", legend_x + 28, legend_y,
            xml_escape(fmt::format("§5 bound {}", bound_text(*bound))));
    legend_y += 14;
    svg.add(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" fill=\"#555\">LAT/2+LED .. "
        "2·LAT+LED</text>",
        legend_x + 28, legend_y);
  }
  return svg.finish(kWidth, kHeight);
}

}  // namespace fabnet::sim
