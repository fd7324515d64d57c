#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace fabnet::logging {

// Fabric's default peer log format, less the Go function name:
//   2024-05-01 12:00:00.123 UTC 002a INFO [gossip.election] Becoming a leader
// local time with zone, a process-wide hex sequence number, the level in four
// letters (coloured on a terminal), the logger name, the message.
std::unique_ptr<spdlog::formatter> make_fabric_formatter();

}  // namespace fabnet::logging
