#pragma once

// Shared by the scenario parser, the cross-reference checks and the writer
// (scenario_parser.cc, scenario_checks.cc, scenario_writer.cc); not a public API.

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "sim/scenario.h"

namespace fabnet::sim::detail {

inline constexpr std::string_view kExpectDuration = "a Go duration such as 90s, 500ms or 2m30s";
inline constexpr std::string_view kExpectTime =
    "a Go duration from the start of the run, such as 2m30s";
inline constexpr std::string_view kExpectName =
    "a name of letters, digits, '_', '-' and '.', starting with a letter";

// Key paths of the YAML text -> 1-based line, so errors found after parsing
// (unknown peers, times past the end) still point into the file.
using LineMap = std::map<std::string, int>;

inline std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

inline bool is_name(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reports problems as "<source>[:line]: <path>: <problem>; expected <expected>".
class Reporter {
 public:
  Reporter(std::string source, const LineMap* lines) : source_(std::move(source)), lines_(lines) {}

  const std::string& source() const { return source_; }

  [[noreturn]] void fail(const std::string& path, std::string_view problem,
                         std::string_view expected = "") const {
    // "<where>: <path>: <problem>", or "<where>: <problem>" for the whole file.
    throw ScenarioError(
        fmt::format("{}: {}{}{}{}", where(path), path, path.empty() ? "" : ": ", problem,
                    expected.empty() ? "" : fmt::format("; expected {}", expected)));
  }

  std::string where(std::string path) const {
    // The nearest enclosing key with a known line.
    while (lines_ != nullptr && !path.empty()) {
      auto it = lines_->find(path);
      if (it != lines_->end()) return fmt::format("{}:{}", source_, it->second);
      const std::size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    return source_;
  }

 private:
  std::string source_;
  const LineMap* lines_;
};

inline std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
inline std::string item(const std::string& path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}
inline constexpr std::string_view kExpectProbability = "a probability from 0 to 1, such as 0.01";

// YAML text -> Scenario: structure, types and single values; records the line of
// every key path in `lines`. Throws ScenarioError.
Scenario parse_scenario(std::string_view text, std::string_view source, LineMap& lines);

// Cross-references and ranges, on a parsed or hand-built scenario.
void check_scenario(const Scenario& s, const Reporter& report);

}  // namespace fabnet::sim::detail
