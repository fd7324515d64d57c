// Usage errors of the whole `fabnet` command line: one line on stderr naming the flag
// and value, exit status 2, never CLI11's own codes (104-109).

#include "cli/usage_error.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"

namespace fabnet::cli {
namespace {

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

CliRun fabnet(std::vector<std::string> args) {
  args.insert(args.begin(), "fabnet");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int status = run_fabnet(static_cast<int>(argv.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

long lines_in(const std::string& text) {
  return std::count(text.begin(), text.end(), '\n');
}

// One line, exit 2, and the line contains every expected fragment.
void expect_usage_error(const CliRun& r, const std::vector<std::string>& fragments) {
  EXPECT_EQ(r.status, kExitUsage) << r.err;
  EXPECT_EQ(lines_in(r.err), 1) << r.err;
  for (const auto& fragment : fragments)
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

// --channels is optional (a peer may join every channel from its config block, as
// Fabric's peer): without it the next problem is the missing core.yaml, exit 2.
TEST(CliUsage, PeerStartWithoutChannelsIsNoUsageError) {
  expect_usage_error(fabnet({"peer", "start", "--config", "core.yaml"}),
                     {"fabnet peer start", "core.yaml: cannot open configuration"});
}

TEST(CliUsage, PeerChannelJoinWithoutChannelOrBlockExitsTwoNamingBoth) {
  expect_usage_error(fabnet({"peer", "channel", "join", "--ops", "127.0.0.1:1"}),
                     {"fabnet peer channel join", "--channel NAME or --blockpath FILE"});
}

TEST(CliUsage, PeerStartWithoutConfigLooksWhereFabricsPeerLooks) {
  // No --config: core.yaml from $FABRIC_CFG_PATH, else the working directory (none here).
  ::unsetenv("FABRIC_CFG_PATH");
  expect_usage_error(fabnet({"peer", "start", "--channels", "c.yaml"}),
                     {"fabnet peer start", "core.yaml", "FABRIC_CFG_PATH", "--config"});
}

TEST(CliUsage, UnknownFlagExitsTwoNamingIt) {
  expect_usage_error(fabnet({"peer", "start", "--config", "a", "--channels", "b", "--frob"}),
                     {"--frob"});
}

TEST(CliUsage, ValueThatDoesNotConvertExitsTwo) {
  expect_usage_error(fabnet({"demo", "--seed", "x"}), {"fabnet demo", "--seed", "x"});
}

TEST(CliUsage, MissingSubcommandExitsTwo) {
  expect_usage_error(fabnet({}), {"fabnet"});
  expect_usage_error(fabnet({"peer", "channel"}), {"fabnet peer channel"});
}

TEST(CliUsage, OpsWithNonNumericPortIsAOneLineErrorNotAnAbort) {
  expect_usage_error(fabnet({"peer", "channel", "join", "-c", "mychannel", "--ops", "host:abc"}),
                     {"--ops", "host:abc", "host:port"});
}

TEST(CliUsage, OpsWithoutPortOrOutOfRangeExitsTwo) {
  expect_usage_error(fabnet({"peer", "channel", "join", "-c", "c", "--ops", "localhost"}),
                     {"--ops", "localhost"});
  expect_usage_error(fabnet({"peer", "channel", "join", "-c", "c", "--ops", "h:70000"}),
                     {"--ops", "h:70000", "out of range"});
  expect_usage_error(fabnet({"peer", "channel", "join", "-c", "c", "--ops", ":9443"}), {"no host"});
}

TEST(CliUsage, HelpExitsZeroAndDocumentsExitStatusTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"peer", "start", "--help"}, {"peer", "channel", "join", "--help"}}) {
    const CliRun r = fabnet(args);
    EXPECT_EQ(r.status, kExitOk);
    EXPECT_NE(r.out.find("2 usage or configuration error"), std::string::npos) << r.out;
  }
}

TEST(ParseHostPort, AcceptsHostPortAndBracketedIpv6) {
  auto a = parse_host_port("--ops", "127.0.0.1:9443");
  ASSERT_TRUE(a.value) << a.error;
  EXPECT_EQ(a.value->host, "127.0.0.1");
  EXPECT_EQ(a.value->port, 9443);
  auto b = parse_host_port("--ops", "[::1]:1");
  ASSERT_TRUE(b.value) << b.error;
  EXPECT_EQ(b.value->host, "::1");
  EXPECT_FALSE(parse_host_port("--ops", "h:0").value);
  EXPECT_TRUE(parse_host_port("--ops", "h:0", /*allow_zero=*/true).value);
  EXPECT_FALSE(parse_host_port("--ops", "h:12x").value);
  EXPECT_FALSE(parse_host_port("--ops", "h:-1").value);
}

}  // namespace
}  // namespace fabnet::cli
