// Loggers created on demand: Fabric's line format and the active spec's levels.

#include "logging/logger.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>

namespace fabnet::logging {
namespace {

using spdlog::level::level_enum;

// Captures all log output and restores the default spec afterwards.
class LoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    set_logging_spec(LoggingSpec{});
  }
  void TearDown() override {
    set_logging_spec(LoggingSpec{});
    ::unsetenv("FABRIC_LOGGING_SPEC");
  }
  std::string output() {
    flush_logs();
    return out_.str();
  }

  std::ostringstream out_;
};

TEST_F(LoggerTest, LinesHaveFabricsFormat) {
  get_logger("gossip.election")->info("Becoming a leader");
  get_logger("peer")->warn("careful");
  const std::string text = output();
  const std::regex line(
      R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+ [0-9a-f]{4,} INFO \[gossip\.election\] )"
      R"(Becoming a leader\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+ [0-9a-f]{4,} WARN )"
      R"(\[peer\] careful\n)");
  EXPECT_TRUE(std::regex_match(text, line)) << text;
}

TEST_F(LoggerTest, SequenceNumbersIncrease) {
  auto log = get_logger("seq");
  log->info("a");
  log->info("b");
  const std::regex seq(R"(\S+ \S+ \S+ ([0-9a-f]+) INFO)");
  std::istringstream lines(output());
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  std::smatch m1, m2;
  ASSERT_TRUE(std::regex_search(first, m1, seq)) << first;
  ASSERT_TRUE(std::regex_search(second, m2, seq)) << second;
  EXPECT_EQ(std::stoul(m2[1], nullptr, 16), std::stoul(m1[1], nullptr, 16) + 1);
}

TEST_F(LoggerTest, SameNameGivesSameLogger) {
  EXPECT_EQ(get_logger("gossip.comm"), get_logger("gossip.comm"));
  EXPECT_NE(get_logger("gossip.comm"), get_logger("gossip.discovery"));
}

TEST_F(LoggerTest, DefaultSpecLogsInfoButNotDebug) {
  auto log = get_logger("gossip.discovery");
  log->debug("hidden");
  log->info("shown");
  const std::string text = output();
  EXPECT_EQ(text.find("hidden"), std::string::npos) << text;
  EXPECT_NE(text.find("shown"), std::string::npos) << text;
}

TEST_F(LoggerTest, NewLoggersTakeTheActiveSpec) {
  set_logging_spec(parse_logging_spec("gossip=warn:gossip.election=debug:info"));
  EXPECT_EQ(get_logger("gossip.election.new")->level(), level_enum::debug);
  EXPECT_EQ(get_logger("gossip.state.new")->level(), level_enum::warn);
  EXPECT_EQ(get_logger("peer.new")->level(), level_enum::info);
}

TEST_F(LoggerTest, SettingASpecRelevelsExistingLoggers) {
  auto election = get_logger("gossip.election");
  auto comm = get_logger("gossip.comm");
  set_logging_spec(parse_logging_spec("gossip.election=debug:error"));
  EXPECT_EQ(election->level(), level_enum::debug);
  EXPECT_EQ(comm->level(), level_enum::err);
  election->debug("election detail");
  comm->warn("comm warning");
  const std::string text = output();
  EXPECT_NE(text.find("DEBU [gossip.election] election detail"), std::string::npos) << text;
  EXPECT_EQ(text.find("comm warning"), std::string::npos) << text;
  EXPECT_EQ(to_string(active_logging_spec()), "gossip.election=debug:error");
}

TEST_F(LoggerTest, EnvironmentSpecIsReadButNotActivated) {
  ::setenv("FABRIC_LOGGING_SPEC", "gossip=debug:warn", 1);
  const LoggingSpec spec = logging_spec_from_environment();
  EXPECT_EQ(to_string(spec), "gossip=debug:warn");
  EXPECT_EQ(active_logging_spec(), LoggingSpec{});
}

TEST_F(LoggerTest, EnvironmentWithoutSpecMeansInfo) {
  ::unsetenv("FABRIC_LOGGING_SPEC");
  EXPECT_EQ(logging_spec_from_environment(), LoggingSpec{});
  ::setenv("FABRIC_LOGGING_SPEC", "", 1);
  EXPECT_EQ(logging_spec_from_environment(), LoggingSpec{});
}

TEST_F(LoggerTest, BadEnvironmentSpecNamesTheVariable) {
  ::setenv("FABRIC_LOGGING_SPEC", "loud", 1);
  try {
    logging_spec_from_environment();
    FAIL() << "no error";
  } catch (const LoggingSpecError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("FABRIC_LOGGING_SPEC: invalid logging spec"))
        << e.what();
  }
}

}  // namespace
}  // namespace fabnet::logging
