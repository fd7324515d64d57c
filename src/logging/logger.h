#pragma once

#include <memory>
#include <string_view>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include "logging/logging_spec.h"

namespace fabnet::logging {

// The process's loggers. Each is created on first use, writes to one shared sink
// (stderr, coloured on a terminal) in Fabric's format (fabric_format.h), and
// logs at the level the active spec gives its name. Name loggers as Fabric does,
// e.g. gossip.election, gossip.comm, gossip.discovery, peer, operations.
// Everything here is thread-safe; the returned loggers are too.
std::shared_ptr<spdlog::logger> get_logger(std::string_view name);

// Makes `spec` the active spec and re-levels every existing logger.
void set_logging_spec(const LoggingSpec& spec);

// The active spec; "info" until set_logging_spec is called.
LoggingSpec active_logging_spec();

// The spec in FABRIC_LOGGING_SPEC: the default spec when unset or empty. Throws
// LoggingSpecError naming the variable. Does not activate it.
LoggingSpec logging_spec_from_environment();

// Sends every logger's output, now and later, to `sink` instead (given Fabric's
// format); e.g. a file for the daemon, an ostream_sink in tests.
void set_log_sink(spdlog::sink_ptr sink);

// Flushes every logger; call before exiting.
void flush_logs();

}  // namespace fabnet::logging
