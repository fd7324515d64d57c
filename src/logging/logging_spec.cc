#include "logging/logging_spec.h"

#include <array>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace fabnet::logging {

namespace {

using spdlog::level::level_enum;

constexpr std::string_view kExpectLevel =
    "a level: debug, info, warn, warning, error, fatal or panic (also payload, notice, "
    "critical, dpanic; any case)";

struct NamedLevel {
  std::string_view name;
  level_enum level;
};

// Fabric's flogging.NameToLevel, mapped onto spdlog's levels.
constexpr std::array<NamedLevel, 11> kLevels{{
    {"payload", level_enum::trace},
    {"debug", level_enum::debug},
    {"info", level_enum::info},
    {"notice", level_enum::info},  // Fabric: "future", treated as info
    {"warn", level_enum::warn},
    {"warning", level_enum::warn},
    {"error", level_enum::err},
    {"critical", level_enum::err},  // Fabric maps critical to error, not above it
    {"dpanic", level_enum::critical},
    {"panic", level_enum::critical},
    {"fatal", level_enum::critical},
}};

std::optional<level_enum> level_from_name(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const NamedLevel& l : kLevels) {
    if (l.name == lower) return l.level;
  }
  return std::nullopt;
}

// Fabric's logger name rule, less ':' (which separates segments here):
// dot-separated parts of letters, digits, '_', '#' and '-'.
bool is_valid_logger_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  char previous = '.';
  for (char c : name) {
    const bool part_char =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '#' || c == '-';
    if (c == '.' && previous == '.') return false;
    if (c != '.' && !part_char) return false;
    previous = c;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

LoggingSpecError::LoggingSpecError(std::string_view source, std::string spec, std::string segment,
                                   std::string problem)
    : std::invalid_argument(fmt::format("{}{}invalid logging spec \"{}\": segment \"{}\": {}",
                                        source, source.empty() ? "" : ": ", spec, segment,
                                        problem)),
      spec_(std::move(spec)),
      segment_(std::move(segment)) {}

LoggingSpec parse_logging_spec(std::string_view spec, std::string_view source) {
  LoggingSpec result;
  for (std::string_view segment : split(spec, ':')) {
    if (segment.empty()) continue;
    const auto fail = [&](std::string problem) {
      return LoggingSpecError(source, std::string(spec), std::string(segment), std::move(problem));
    };
    const std::vector<std::string_view> sides = split(segment, '=');
    if (sides.size() > 2) {
      throw fail("more than one '='; expected <logger>[,<logger>...]=<level> or <level>");
    }
    const std::string_view level_text = sides.back();
    const std::optional<level_enum> level = level_from_name(level_text);
    if (!level) {
      throw fail(fmt::format("unknown level \"{}\"; expected {}", level_text, kExpectLevel));
    }
    if (sides.size() == 1) {
      result.default_level = *level;
      continue;
    }
    if (sides[0].empty()) {
      throw fail("no logger before '='; expected <logger>[,<logger>...]=<level>");
    }
    for (std::string_view logger : split(sides[0], ',')) {
      // A trailing '.' selects exactly that logger (Fabric); the rest must be a name.
      std::string_view name = logger;
      if (name.ends_with('.')) name.remove_suffix(1);
      if (!is_valid_logger_name(name)) {
        throw fail(fmt::format(
            "bad logger name \"{}\"; expected dot-separated parts of letters, digits, '_', '#' "
            "and '-', optionally ending in '.' for that exact logger",
            logger));
      }
      result.modules[std::string(logger)] = *level;
    }
  }
  return result;
}

level_enum level_for(const LoggingSpec& spec, std::string_view logger_name) {
  // Fabric's calculateLevel: "<name>." (exact) first, then shorter dotted prefixes.
  std::string candidate = std::string(logger_name) + ".";
  while (true) {
    if (auto it = spec.modules.find(candidate); it != spec.modules.end()) return it->second;
    const size_t dot = candidate.rfind('.');
    if (dot == std::string::npos || dot == 0) return spec.default_level;
    candidate.resize(dot);
  }
}

std::string to_string(const LoggingSpec& spec) {
  std::string text;
  for (const auto& [name, level] : spec.modules) {
    text += fmt::format("{}={}:", name, level_name(level));
  }
  text += level_name(spec.default_level);
  return text;
}

std::string_view level_name(level_enum level) {
  switch (level) {
    case level_enum::trace:
      return "payload";
    case level_enum::debug:
      return "debug";
    case level_enum::info:
      return "info";
    case level_enum::warn:
      return "warn";
    case level_enum::err:
      return "error";
    case level_enum::critical:
      return "fatal";
    default:
      return "off";
  }
}

}  // namespace fabnet::logging
