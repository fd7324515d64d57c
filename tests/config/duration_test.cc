#include "config/duration.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace fabnet::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

TEST(ParseGoDuration, AcceptsGoForms) {
  EXPECT_EQ(parse_go_duration("15s"), 15s);
  EXPECT_EQ(parse_go_duration("500ms"), 500ms);
  EXPECT_EQ(parse_go_duration("1m30s"), 90s);
  EXPECT_EQ(parse_go_duration("2h"), 2h);
  EXPECT_EQ(parse_go_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_go_duration("100us"), 100us);
  EXPECT_EQ(parse_go_duration("100\u00b5s"), 100us);  // micro sign
  EXPECT_EQ(parse_go_duration("100\u03bcs"), 100us);  // Greek mu, as Go
  EXPECT_EQ(parse_go_duration("10ns"), 10ns);
  EXPECT_EQ(parse_go_duration("1h2m3s"), 1h + 2min + 3s);
  EXPECT_EQ(parse_go_duration("1500ms"), 1500ms);
  EXPECT_EQ(parse_go_duration("3600s"), 1h);
  EXPECT_EQ(parse_go_duration("0s"), 0s);  // the config layer rejects it, not the parser
}

TEST(ParseGoDuration, FollowsGoOnEdgeForms) {
  EXPECT_EQ(parse_go_duration("1.s"), 1s);     // Go: digits before the dot suffice
  EXPECT_EQ(parse_go_duration(".5s"), 500ms);  // and so do digits after it
  EXPECT_EQ(parse_go_duration("+5s"), 5s);
  EXPECT_EQ(parse_go_duration("1s500ms"), 1500ms);
  EXPECT_EQ(parse_go_duration("1.5ns"), 1ns);  // sub-nanosecond part truncated
  EXPECT_EQ(parse_go_duration("0.000000001s"), 1ns);
  EXPECT_EQ(parse_go_duration("1.00000000000000000000000001s"), 1s);  // long fraction
}

TEST(ParseGoDuration, AcceptsTheLargestValue) {
  EXPECT_EQ(parse_go_duration("9223372036854775807ns"), nanoseconds::max());
  EXPECT_EQ(parse_go_duration("2562047h47m16.854775807s"), nanoseconds::max());
}

void expect_rejected(std::string_view text, std::string_view reason) {
  try {
    parse_go_duration(text);
    ADD_FAILURE() << "accepted \"" << text << "\"";
  } catch (const DurationError& e) {
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos)
        << "\"" << text << "\": " << e.what();
  }
}

TEST(ParseGoDuration, RejectsBadInput) {
  expect_rejected("10", "missing unit");
  expect_rejected("0", "missing unit");  // Go special-cases "0"; we want a unit
  expect_rejected("-1s", "negative");
  expect_rejected("-0s", "negative");
  expect_rejected("", "empty");
  expect_rejected("+", "missing number");
  expect_rejected("s", "missing number");
  expect_rejected(".s", "missing number");
  expect_rejected("5x", "unknown unit \"x\"");
  expect_rejected("5 s", "unknown unit \" s\"");
  expect_rejected(" 5s", "missing number");
  expect_rejected("1e3s", "unknown unit \"e\"");
  expect_rejected("1..5s", "missing unit");
  expect_rejected("1s5", "missing unit");
  expect_rejected("5sec", "unknown unit \"sec\"");
  expect_rejected("abc", "missing number");
}

TEST(ParseGoDuration, RejectsOverflow) {
  expect_rejected("9223372036854775808ns", "out of range");
  expect_rejected("2562048h", "out of range");
  expect_rejected("2562047h47m16.854775808s", "out of range");
  expect_rejected("99999999999999999999999s", "out of range");
  expect_rejected("9223372036854775807ns1ns", "out of range");
}

TEST(ParseGoDuration, ErrorIsAnInvalidArgument) {
  EXPECT_THROW(parse_go_duration("10"), std::invalid_argument);
}

TEST(FormatDuration, MatchesGoString) {
  EXPECT_EQ(format_duration(15s), "15s");
  EXPECT_EQ(format_duration(500ms), "500ms");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(2h), "2h0m0s");
  EXPECT_EQ(format_duration(1h + 2min + 3s), "1h2m3s");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(1500ns), "1.5\u00b5s");
  EXPECT_EQ(format_duration(100us), "100\u00b5s");
  EXPECT_EQ(format_duration(10ns), "10ns");
  EXPECT_EQ(format_duration(0ns), "0s");
  EXPECT_EQ(format_duration(-1500ms), "-1.5s");
  EXPECT_EQ(format_duration(1234567ns), "1.234567ms");
  EXPECT_EQ(format_duration(nanoseconds::max()), "2562047h47m16.854775807s");
  EXPECT_EQ(format_duration(nanoseconds::min()), "-2562047h47m16.854775808s");
}

TEST(FormatDuration, RoundTrips) {
  for (nanoseconds d : {nanoseconds(1), nanoseconds(999), nanoseconds(1001), nanoseconds(123456789),
                        nanoseconds(90s), nanoseconds(25h + 1ms)}) {
    EXPECT_EQ(parse_go_duration(format_duration(d)), d) << format_duration(d);
  }
}

}  // namespace
}  // namespace fabnet::config
