#include "logging/logger.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "logging/fabric_format.h"

namespace fabnet::logging {

namespace {

// All loggers share one distributing sink, so that swapping the real sink is
// one thread-safe call and records from different loggers never interleave.
struct Registry {
  std::mutex mutex;
  LoggingSpec spec;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  std::shared_ptr<spdlog::sinks::dist_sink_mt> sink =
      std::make_shared<spdlog::sinks::dist_sink_mt>();

  Registry() { replace_sink(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()); }

  void replace_sink(spdlog::sink_ptr target) {
    target->set_formatter(make_fabric_formatter());
    target->set_level(spdlog::level::trace);  // loggers do the filtering
    sink->set_sinks({std::move(target)});
  }
};

// Never destroyed: loggers may be used from static destructors and other threads
// until the process exits.
Registry& registry() {
  static Registry* instance = new Registry();
  return *instance;
}

}  // namespace

std::shared_ptr<spdlog::logger> get_logger(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.loggers.find(name); it != r.loggers.end()) return it->second;
  auto logger = std::make_shared<spdlog::logger>(std::string(name), r.sink);
  logger->set_level(level_for(r.spec, name));
  r.loggers.emplace(std::string(name), logger);
  return logger;
}

void set_logging_spec(const LoggingSpec& spec) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.spec = spec;
  for (const auto& [name, logger] : r.loggers) logger->set_level(level_for(spec, name));
}

LoggingSpec active_logging_spec() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.spec;
}

LoggingSpec logging_spec_from_environment() {
  const std::string name(kLoggingSpecVariable);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return LoggingSpec{};
  return parse_logging_spec(value, name);
}

void set_log_sink(spdlog::sink_ptr sink) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.replace_sink(std::move(sink));
}

void flush_logs() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.sink->flush();
}

}  // namespace fabnet::logging
