#pragma once

// Shared by the renderers (report_text.cc, report_json.cc, report_svg.cc); not a
// public API.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "sim/report.h"

namespace fabnet::sim::detail {

// Report sections list at most this many items and say how many they left out;
// report.json always has everything.
inline constexpr std::size_t kMaxGroupsListed = 50;
inline constexpr std::size_t kMaxChangesListed = 12;
inline constexpr std::size_t kChangesPerLine = 4;
inline constexpr std::size_t kMaxFailoversListed = 50;
inline constexpr std::size_t kMaxFaultsListed = 50;
inline constexpr std::size_t kMaxLeadersAtEndListed = 3;

inline double to_seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

inline std::string group_name(const GroupReport& g) {
  return g.channel + "/" + g.org;
}

// Terminal columns of UTF-8 text (every code point counts as one).
inline std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

inline std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

// "a, b, c and 4 more".
inline std::string join_truncated(const std::vector<std::string>& items, std::size_t max) {
  if (items.size() <= max) return join(items, ", ");
  std::vector<std::string> shown(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(max));
  return fmt::format("{} and {} more", join(shown, ", "), items.size() - max);
}

inline std::string format_bytes(double bytes) {
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

inline std::string optional_duration(const std::optional<Duration>& d,
                                     std::string_view none = "-") {
  return d ? format_report_duration(*d) : std::string(none);
}

inline std::string bound_text(const FailoverBound& b) {
  return fmt::format("{} .. {}", format_report_duration(b.low), format_report_duration(b.high));
}

// Messages per peer per second over the run; 0 when the run is empty.
inline double per_peer_second(double amount, const SimResult& r) {
  const double peer_seconds = static_cast<double>(r.peers) * to_seconds(r.duration);
  return peer_seconds > 0 ? amount / peer_seconds : 0;
}

inline std::set<std::string> message_types(const MessageStats& m) {
  std::set<std::string> types;
  for (const auto& [type, n] : m.count) types.insert(type);
  for (const auto& [type, n] : m.bytes) types.insert(type);
  return types;
}

inline std::uint64_t lookup(const std::map<std::string, std::uint64_t>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

}  // namespace fabnet::sim::detail
