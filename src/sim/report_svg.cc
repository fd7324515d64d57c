// The SVG pictures of `fabnet sim --out`: a leadership timeline and a failover CDF.

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
using std::chrono::milliseconds;

namespace {

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
constexpr std::string_view kBehindColor = "#1f3f9f";
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
  if (failover_count(g) > 0) return 0;
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

// The grid, tick labels and axis titles of a CDF plot of durations over [0, x_max].
struct CdfFrame {
  double left, top, width, height, svg_height;
};
void add_cdf_axes(SvgWriter& svg, const CdfFrame& f, Duration x_max, Duration step,
                  std::string_view x_title, std::string_view y_title) {
  const auto x_of = [&](Duration d) {
    return f.left + f.width * static_cast<double>(d.count()) / static_cast<double>(x_max.count());
  };
  const auto y_of = [&](double fraction) { return f.top + f.height * (1 - fraction); };
  svg.add("<g class=\"axis\" font-size=\"10\" fill=\"#333\">");
  for (Duration t{0}; t <= x_max; t += step) {
    const double x = x_of(t);
    svg.add(
        "<line x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\" stroke=\"#000\" "
        "stroke-opacity=\"0.1\"/>",
        x, f.top, f.top + f.height + 5);
    svg.add("<text x=\"{:.2f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x,
            f.top + f.height + 18, xml_escape(tick_label(t)));
  }
  for (int i = 0; i <= 4; ++i) {
    const double fraction = i / 4.0;
    svg.add(
        "<line x1=\"{1:.1f}\" y1=\"{0:.2f}\" x2=\"{2:.1f}\" y2=\"{0:.2f}\" stroke=\"#000\" "
        "stroke-opacity=\"0.1\"/>",
        y_of(fraction), f.left - 5, f.left + f.width);
    svg.add("<text x=\"{:.1f}\" y=\"{:.2f}\" text-anchor=\"end\">{:.2f}</text>", f.left - 8,
            y_of(fraction) + 3.5, fraction);
  }
  svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
          f.left + f.width / 2, f.svg_height - 18, xml_escape(x_title));
  svg.add(
      "<text transform=\"translate(18 {:.1f}) rotate(-90)\" text-anchor=\"middle\" "
      "font-size=\"11\">{}</text>",
      f.top + f.height / 2, xml_escape(y_title));
  svg.add("</g>");
}

}  // namespace

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
    // The group's ledger heights (docs/simulator.md, "Blocks"), drawn in each
    // lane as blocks behind the orderer, scaled to the group's worst.
    const BlockGroupReport* blocks = nullptr;
    for (const BlockGroupReport& b : r.blocks)
      if (b.channel == g.channel && b.org == g.org) blocks = &b;
    std::uint64_t worst_behind = 1;
    if (blocks)
      for (const PeerBlockSeries& p : blocks->peers)
        worst_behind = std::max(worst_behind, p.max_behind);
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
      const PeerBlockSeries* series = nullptr;
      if (blocks)
        for (const PeerBlockSeries& p : blocks->peers)
          if (p.peer == peer) series = &p;
      if (series && !series->behind.empty()) {
        std::string path;
        bool drawing = false;
        const double bottom = y + kLaneHeight - 2;
        for (std::size_t k = 0; k < series->behind.size(); ++k) {
          if (series->behind[k] < 0) {
            drawing = false;
            continue;
          }
          const double px = x_of(blocks->sample_interval * static_cast<std::int64_t>(k + 1));
          const double py = bottom - (kLaneHeight - 4) * static_cast<double>(series->behind[k]) /
                                         static_cast<double>(worst_behind);
          fmt::format_to(std::back_inserter(path), "{}{:.1f},{:.1f}", drawing ? " L" : " M", px,
                         py);
          drawing = true;
        }
        svg.add(
            "<path class=\"behind\" d=\"{}\" fill=\"none\" stroke=\"{}\" "
            "stroke-width=\"1\"><title>{}</title></path>",
            path, kBehindColor,
            xml_escape(fmt::format("{}: blocks behind the orderer (lane top = {}); at most {}, "
                                   "height {} at the end",
                                   peer, worst_behind, series->max_behind, series->final_height)));
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
  if (!r.blocks.empty()) swatch(kBehindColor, "blocks behind the orderer (lane height = worst)");
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
        if (!is_failover(f)) continue;
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
  add_cdf_axes(svg, {kLeft, kTop, kPlotWidth, kPlotHeight, kHeight}, x_max, step,
               "failover time (fault to exactly one leader)",
               "fraction of failovers recovered within t");

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

// ---- block propagation CDF SVG ----------------------------------------------------

std::string render_propagation_cdf_svg(const std::vector<SimResult>& runs) {
  constexpr double kWidth = 860;
  constexpr double kHeight = 500;
  constexpr double kLeft = 70;
  constexpr double kRight = 230;
  constexpr double kTop = 60;
  constexpr double kBottom = 60;
  constexpr double kPlotWidth = kWidth - kLeft - kRight;
  constexpr double kPlotHeight = kHeight - kTop - kBottom;
  static const std::vector<std::string_view> kColors = {"#222222", "#1f77b4", "#d62728",
                                                        "#2ca02c", "#9467bd", "#ff7f0e"};
  // Per (channel, org) over every run; blocks never at every peer count in the
  // denominator only.
  std::map<std::string, std::vector<Duration>> done;
  std::map<std::string, std::size_t> totals;
  Duration longest{0};
  for (const SimResult& r : runs)
    for (const BlockGroupReport& b : r.blocks) {
      const std::string name = b.channel + "/" + b.org;
      totals[name] += b.propagation.size();
      for (const std::optional<Duration>& d : b.propagation) {
        if (!d) continue;
        done[name].push_back(*d);
        longest = std::max(longest, *d);
      }
    }
  for (auto& [name, d] : done) std::sort(d.begin(), d.end());

  Duration x_max = longest + longest / 20;
  if (x_max <= Duration::zero()) x_max = std::chrono::milliseconds(100);
  const Duration step = tick_step(x_max, 10);
  x_max = ((x_max + step - Duration(1)) / step) * step;
  const auto x_of = [&](Duration d) {
    return kLeft + kPlotWidth * static_cast<double>(d.count()) / static_cast<double>(x_max.count());
  };
  const auto y_of = [&](double fraction) { return kTop + kPlotHeight * (1 - fraction); };

  SvgWriter svg;
  svg.add("<title>fabnet sim: block propagation CDF</title>");
  std::size_t total = 0;
  for (const auto& [name, n] : totals) total += n;
  svg.add("<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>",
          xml_escape(fmt::format("Block propagation CDF: {} blocks x groups over {} run{}", total,
                                 runs.size(), runs.size() == 1 ? "" : "s")));
  svg.add("<text x=\"12\" y=\"40\" font-size=\"11\" fill=\"#444\">{}</text>",
          xml_escape("from cut at the orderer to committed at the last peer of the org; blocks "
                     "some peer never committed keep a curve below 1"));
  svg.add(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#fafafa\" "
      "stroke=\"#333\"/>",
      kLeft, kTop, kPlotWidth, kPlotHeight);
  add_cdf_axes(svg, {kLeft, kTop, kPlotWidth, kPlotHeight, kHeight}, x_max, step,
               "propagation time (cut to committed at the org's last peer)",
               "fraction of blocks at every peer within t");
  if (total == 0) {
    svg.add(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"13\" "
        "fill=\"#666\">no blocks in these runs</text>",
        kLeft + kPlotWidth / 2, kTop + kPlotHeight / 2);
    return svg.finish(kWidth, kHeight);
  }
  double legend_y = kTop + 10;
  const double legend_x = kLeft + kPlotWidth + 16;
  std::size_t color = 0;
  for (const auto& [name, n] : totals) {
    const std::vector<Duration>& sorted = done[name];
    const std::string_view stroke = kColors[color++ % kColors.size()];
    std::string path = fmt::format("M{:.2f},{:.2f}", x_of(Duration::zero()), y_of(0));
    // At most ~2000 steps: enough for the eye, small for thousands of blocks.
    const std::size_t stride = std::max<std::size_t>(1, sorted.size() / 2000);
    for (std::size_t i = 0; i < sorted.size(); i += stride) {
      const std::size_t last = std::min(sorted.size() - 1, i + stride - 1);
      fmt::format_to(
          std::back_inserter(path), " H{:.2f} V{:.2f}", x_of(sorted[last]),
          y_of(static_cast<double>(last + 1) / static_cast<double>(std::max<std::size_t>(n, 1))));
    }
    fmt::format_to(std::back_inserter(path), " H{:.2f}", x_of(x_max));
    svg.add(
        "<path class=\"cdf\" data-group=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"1.8\"/>",
        xml_escape(name), path, stroke);
    svg.add(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"1.8\"/>",
        legend_x, legend_y - 4, legend_x + 22, legend_y - 4, stroke);
    svg.add("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>", legend_x + 28, legend_y,
            xml_escape(fmt::format("{} ({} of {})", name, sorted.size(), n)));
    legend_y += 18;
  }
  return svg.finish(kWidth, kHeight);
}

}  // namespace fabnet::sim
