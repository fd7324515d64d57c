// FABRIC_LOGGING_SPEC parsing and per-logger level resolution (Fabric's common/flogging).

#include "logging/logging_spec.h"

#include <gtest/gtest.h>

#include <string>

namespace fabnet::logging {
namespace {

using spdlog::level::level_enum;

std::string error_of(std::string_view spec) {
  try {
    parse_logging_spec(spec, "FABRIC_LOGGING_SPEC");
  } catch (const LoggingSpecError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for \"" << spec << "\"";
  return "";
}

TEST(LoggingSpec, BareLevelSetsTheDefaultForEveryLogger) {
  const LoggingSpec spec = parse_logging_spec("debug");
  EXPECT_EQ(spec.default_level, level_enum::debug);
  EXPECT_TRUE(spec.modules.empty());
  EXPECT_EQ(level_for(spec, "gossip.election"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "peer"), level_enum::debug);
}

TEST(LoggingSpec, EmptySpecMeansInfo) {
  EXPECT_EQ(parse_logging_spec(""), LoggingSpec{});
  EXPECT_EQ(LoggingSpec{}.default_level, level_enum::info);
  EXPECT_EQ(parse_logging_spec("::"), LoggingSpec{});
}

TEST(LoggingSpec, LevelNamesFollowFabricInAnyCase) {
  EXPECT_EQ(parse_logging_spec("DEBUG").default_level, level_enum::debug);
  EXPECT_EQ(parse_logging_spec("Info").default_level, level_enum::info);
  EXPECT_EQ(parse_logging_spec("warn").default_level, level_enum::warn);
  EXPECT_EQ(parse_logging_spec("WARNING").default_level, level_enum::warn);
  EXPECT_EQ(parse_logging_spec("error").default_level, level_enum::err);
  EXPECT_EQ(parse_logging_spec("fatal").default_level, level_enum::critical);
  EXPECT_EQ(parse_logging_spec("panic").default_level, level_enum::critical);
  EXPECT_EQ(parse_logging_spec("dpanic").default_level, level_enum::critical);
  EXPECT_EQ(parse_logging_spec("payload").default_level, level_enum::trace);
  EXPECT_EQ(parse_logging_spec("notice").default_level, level_enum::info);
  EXPECT_EQ(parse_logging_spec("critical").default_level, level_enum::err);
}

TEST(LoggingSpec, ModuleSpecAppliesToTheLoggerAndItsDottedChildren) {
  const LoggingSpec spec = parse_logging_spec("gossip.election=debug:info");
  EXPECT_EQ(spec.default_level, level_enum::info);
  EXPECT_EQ(level_for(spec, "gossip.election"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "gossip.election.adapter"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "gossip"), level_enum::info);
  EXPECT_EQ(level_for(spec, "gossip.comm"), level_enum::info);
  // A prefix counts only at a dot: gossip.electionX is not a child.
  EXPECT_EQ(level_for(spec, "gossip.electionX"), level_enum::info);
}

TEST(LoggingSpec, LongestPrefixWins) {
  const LoggingSpec spec = parse_logging_spec("gossip=warn:gossip.election=debug:info");
  EXPECT_EQ(level_for(spec, "gossip"), level_enum::warn);
  EXPECT_EQ(level_for(spec, "gossip.comm"), level_enum::warn);
  EXPECT_EQ(level_for(spec, "gossip.election"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "gossip.election.adapter"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "peer"), level_enum::info);
}

TEST(LoggingSpec, OrderOfSegmentsDoesNotMatterExceptForRepeats) {
  EXPECT_EQ(parse_logging_spec("info:gossip.election=debug:gossip=warn"),
            parse_logging_spec("gossip=warn:gossip.election=debug:info"));
  // The last word on the same thing wins.
  EXPECT_EQ(parse_logging_spec("debug:error").default_level, level_enum::err);
  EXPECT_EQ(parse_logging_spec("gossip=debug:gossip=error").modules.at("gossip"), level_enum::err);
}

TEST(LoggingSpec, SeveralLoggersCanShareOneLevel) {
  const LoggingSpec spec = parse_logging_spec("gossip.comm,gossip.discovery=debug:warn");
  EXPECT_EQ(level_for(spec, "gossip.comm"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "gossip.discovery"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "gossip.election"), level_enum::warn);
}

TEST(LoggingSpec, TrailingDotSelectsOnlyThatExactLogger) {
  const LoggingSpec spec = parse_logging_spec("gossip.=debug:info");
  EXPECT_EQ(level_for(spec, "gossip"), level_enum::debug);
  EXPECT_EQ(level_for(spec, "gossip.election"), level_enum::info);
}

TEST(LoggingSpec, ModuleSpecWithoutDefaultKeepsInfo) {
  const LoggingSpec spec = parse_logging_spec("gossip.election=debug");
  EXPECT_EQ(spec.default_level, level_enum::info);
  EXPECT_EQ(level_for(spec, "gossip.election"), level_enum::debug);
}

TEST(LoggingSpec, UnknownLevelIsRefusedNamingTheSegment) {
  const std::string msg = error_of("gossip=loud:info");
  EXPECT_NE(msg.find("FABRIC_LOGGING_SPEC: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"gossip=loud:info\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("segment \"gossip=loud\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown level \"loud\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected a level"), std::string::npos) << msg;
  EXPECT_NE(error_of("verbose").find("unknown level \"verbose\""), std::string::npos);
  EXPECT_NE(error_of("gossip=").find("unknown level \"\""), std::string::npos);
}

TEST(LoggingSpec, MalformedSegmentsAreRefused) {
  EXPECT_NE(error_of("=debug").find("no logger before '='"), std::string::npos);
  EXPECT_NE(error_of("a=b=debug").find("more than one '='"), std::string::npos);
  EXPECT_NE(error_of("gossip..election=debug").find("bad logger name \"gossip..election\""),
            std::string::npos);
  EXPECT_NE(error_of("gossip,=debug").find("bad logger name \"\""), std::string::npos);
  EXPECT_NE(error_of(".gossip=debug").find("bad logger name"), std::string::npos);
  EXPECT_NE(error_of("gos sip=debug").find("bad logger name \"gos sip\""), std::string::npos);
}

TEST(LoggingSpec, ErrorKeepsTheSpecAndSegment) {
  try {
    parse_logging_spec("info:peer=nope");
    FAIL() << "no error";
  } catch (const LoggingSpecError& e) {
    EXPECT_EQ(e.spec(), "info:peer=nope");
    EXPECT_EQ(e.segment(), "peer=nope");
  }
}

TEST(LoggingSpec, CanonicalTextParsesBackToTheSameSpec) {
  const LoggingSpec spec =
      parse_logging_spec("info:gossip.election=DEBUG:gossip=warning:peer.=fatal");
  const std::string text = to_string(spec);
  EXPECT_EQ(text, "gossip=warn:gossip.election=debug:peer.=fatal:info");
  EXPECT_EQ(parse_logging_spec(text), spec);
  EXPECT_EQ(to_string(LoggingSpec{}), "info");
}

}  // namespace
}  // namespace fabnet::logging
