#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fabnet::config {

// Thrown by parse_go_duration; what() is the reason alone (e.g. "missing unit"),
// so callers can embed it in a message that names the key and value.
class DurationError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Parses Go's time.ParseDuration syntax: one or more <number><unit> terms, where
// the number may have a fraction ("1.5s", "1.s", ".5s") and the unit is one of
// ns, us, µs, ms, s, m, h ("1h2m3s"). A leading '+' is accepted as in Go.
// Stricter than Go on purpose: negative values and unit-less numbers (even "0")
// are rejected, because every fabnet duration must be an explicit positive span.
// "0s" parses to zero; rejecting it is the caller's business.
std::chrono::nanoseconds parse_go_duration(std::string_view text);

// Go's Duration.String(): "15s", "500ms", "1m30s", "2h0m0s", "1.5µs", "0s".
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace fabnet::config
