#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace fabnet::logging {

// The environment variable Fabric's peer reads its logging spec from.
inline constexpr std::string_view kLoggingSpecVariable = "FABRIC_LOGGING_SPEC";

// Per-logger levels in Fabric's FABRIC_LOGGING_SPEC syntax (common/flogging):
//   [<logger>[,<logger>...]=]<level>[:[<logger>[,<logger>...]=]<level>...]
// e.g. "info", "gossip=warn:gossip.election=debug:info". A bare level sets the
// default; a module spec applies to that logger and its dotted children, unless
// the name ends in '.', which means that exact logger only.
struct LoggingSpec {
  spdlog::level::level_enum default_level = spdlog::level::info;
  std::map<std::string, spdlog::level::level_enum> modules;  // logger name -> level

  bool operator==(const LoggingSpec&) const = default;
};

// A spec that does not parse. what() names where the spec came from (if given),
// quotes the whole spec and names the bad segment.
class LoggingSpecError : public std::invalid_argument {
 public:
  LoggingSpecError(std::string_view source, std::string spec, std::string segment,
                   std::string problem);

  const std::string& spec() const { return spec_; }
  const std::string& segment() const { return segment_; }

 private:
  std::string spec_;
  std::string segment_;
};

// Parses a spec; later segments override earlier ones, an empty spec or empty
// segment changes nothing. Levels (any case): payload, debug, info, notice,
// warn, warning, error, critical, dpanic, panic, fatal; as in Fabric, notice is
// info and critical is error, while dpanic, panic and fatal map to spdlog's
// critical and payload to trace. `source` (e.g. "FABRIC_LOGGING_SPEC") prefixes
// error messages. Throws LoggingSpecError.
LoggingSpec parse_logging_spec(std::string_view spec, std::string_view source = {});

// The level in effect for logger_name: the longest dotted prefix with a module
// spec wins (e.g. gossip.election.adapter uses gossip.election=debug over gossip=warn),
// otherwise the default level.
spdlog::level::level_enum level_for(const LoggingSpec& spec, std::string_view logger_name);

// A canonical spec text that parses back to `spec`: module specs by name, then
// the default level, e.g. "gossip=warn:gossip.election=debug:info".
std::string to_string(const LoggingSpec& spec);

// Fabric's name for a level: debug, info, warn, error, fatal (spdlog's
// critical), payload (trace) or off.
std::string_view level_name(spdlog::level::level_enum level);

}  // namespace fabnet::logging
