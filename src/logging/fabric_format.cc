#include "logging/fabric_format.h"

#include <atomic>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>

namespace fabnet::logging {

namespace {

using spdlog::memory_buf_t;
using spdlog::details::log_msg;

void append(memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// %{time:MST}: the zone abbreviation of the record's local time.
class ZoneFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const log_msg&, const std::tm& tm_time, memory_buf_t& dest) override {
    char zone[16];
    const size_t n = std::strftime(zone, sizeof zone, "%Z", &tm_time);
    append(dest, std::string_view(zone, n));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ZoneFlag>();
  }
};

// %{id:04x}: Fabric numbers every record of the process.
class SequenceFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const log_msg&, const std::tm&, memory_buf_t& dest) override {
    static std::atomic<std::uint64_t> next{1};
    fmt::format_to(std::back_inserter(dest), "{:04x}", next.fetch_add(1));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SequenceFlag>();
  }
};

// %{level:.4s}: Fabric's level names cut to four letters.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const log_msg& msg, const std::tm&, memory_buf_t& dest) override {
    switch (msg.level) {
      case spdlog::level::trace:
        return append(dest, "PAYL");
      case spdlog::level::debug:
        return append(dest, "DEBU");
      case spdlog::level::info:
        return append(dest, "INFO");
      case spdlog::level::warn:
        return append(dest, "WARN");
      case spdlog::level::err:
        return append(dest, "ERRO");
      default:
        return append(dest, "FATA");
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_fabric_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<ZoneFlag>('Z').add_flag<SequenceFlag>('&').add_flag<LevelFlag>('*');
  formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %Z %& %^%*%$ [%n] %v");
  return formatter;
}

}  // namespace fabnet::logging
