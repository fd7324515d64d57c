#include "config/duration.h"

#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace fabnet::config {
namespace {

// Go does the arithmetic in uint64 with 1<<63 as the ceiling; so do we, which
// makes the overflow boundary identical (max is 2562047h47m16.854775807s).
constexpr uint64_t kLimit = uint64_t{1} << 63;

struct Unit {
  std::string_view name;
  uint64_t nanos;
};

// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1'000},  // U+03BC Greek mu, also accepted by Go
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_unit_char(char c) {
  // Anything that is neither a digit nor '.' belongs to the unit, as in Go.
  return !is_digit(c) && c != '.';
}

}  // namespace

std::chrono::nanoseconds parse_go_duration(std::string_view text) {
  if (text.empty()) throw DurationError("empty value");
  std::string_view s = text;
  if (s.front() == '-') throw DurationError("negative durations are not allowed");
  if (s.front() == '+') s.remove_prefix(1);
  if (s.empty()) throw DurationError("missing number");

  uint64_t total = 0;
  while (!s.empty()) {
    // Integer part.
    uint64_t whole = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > kLimit / 10) throw DurationError("value out of range");
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > kLimit) throw DurationError("value out of range");
    }
    const bool has_int = i > 0;
    s.remove_prefix(i);

    // Fraction: digits beyond what fits are ignored, like Go's leadingFraction.
    uint64_t frac = 0;
    double scale = 1;
    bool has_frac = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      bool saturated = false;
      size_t j = 0;
      for (; j < s.size() && is_digit(s[j]); ++j) {
        if (saturated) continue;
        if (frac > (kLimit - 1) / 10) {
          saturated = true;
          continue;
        }
        const uint64_t next = frac * 10 + static_cast<uint64_t>(s[j] - '0');
        if (next > kLimit) {
          saturated = true;
          continue;
        }
        frac = next;
        scale *= 10;
      }
      has_frac = j > 0;
      s.remove_prefix(j);
    }
    if (!has_int && !has_frac) throw DurationError("missing number before unit");

    size_t u = 0;
    while (u < s.size() && is_unit_char(s[u])) ++u;
    if (u == 0) throw DurationError("missing unit");
    const std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) throw DurationError(fmt::format("unknown unit \"{}\"", unit_name));

    if (whole > kLimit / unit->nanos) throw DurationError("value out of range");
    uint64_t term = whole * unit->nanos;
    if (frac > 0) {
      // Sub-nanosecond remainders are truncated, as in Go.
      term += static_cast<uint64_t>(static_cast<double>(frac) *
                                    (static_cast<double>(unit->nanos) / scale));
      if (term > kLimit) throw DurationError("value out of range");
    }
    total += term;
    if (total > kLimit) throw DurationError("value out of range");
  }
  if (total > kLimit - 1) throw DurationError("value out of range");
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

namespace {

// Appends v / 10^prec as "int[.frac]" with trailing fraction zeros dropped.
void append_fixed(std::string& out, uint64_t v, int prec) {
  uint64_t div = 1;
  for (int k = 0; k < prec; ++k) div *= 10;
  out += std::to_string(v / div);
  uint64_t rem = v % div;
  if (rem == 0) return;
  std::string digits(static_cast<size_t>(prec), '0');
  for (int k = prec - 1; k >= 0; --k, rem /= 10)
    digits[static_cast<size_t>(k)] = char('0' + rem % 10);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  out += '.';
  out += digits;
}

}  // namespace

std::string format_duration(std::chrono::nanoseconds d) {
  const int64_t n = d.count();
  if (n == 0) return "0s";
  std::string out;
  // Negate in unsigned space so INT64_MIN does not overflow.
  uint64_t u = static_cast<uint64_t>(n);
  if (n < 0) {
    out += '-';
    u = ~u + 1;
  }
  constexpr uint64_t kSecond = 1'000'000'000;
  if (u < kSecond) {
    if (u < 1'000) {
      append_fixed(out, u, 0);
      out += "ns";
    } else if (u < 1'000'000) {
      append_fixed(out, u, 3);
      out += "\xC2\xB5s";
    } else {
      append_fixed(out, u, 6);
      out += "ms";
    }
    return out;
  }
  const uint64_t secs = u / kSecond;
  const uint64_t hours = secs / 3600;
  const uint64_t minutes = secs / 60 % 60;
  // Go prints every larger unit once a larger one is present: "2h0m0s".
  if (hours > 0) out += fmt::format("{}h", hours);
  if (hours > 0 || minutes > 0) out += fmt::format("{}m", minutes);
  append_fixed(out, (secs % 60) * kSecond + u % kSecond, 9);
  out += 's';
  return out;
}

}  // namespace fabnet::config
