// `fabnet orderer` and `fabnet tx`: input errors are one line naming the flag,
// value and expectation, with exit status 2; `crypto generate` writes the orderer
// org and client identities.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/app.h"
#include "config/network_config.h"

namespace fabnet::cli {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status;
  std::string out, err;
};

CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "fabnet");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int status = run_fabnet(static_cast<int>(argv.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

TEST(TxBroadcastCommand, BadOrdererEndpointIsAUsageError) {
  const CliRun r = run({"tx", "broadcast", "--orderer", "localhost", "--channel", "mychannel",
                        "--msp", "/nonexistent", "--msp-id", "Org1MSP"});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_NE(r.err.find("--orderer \"localhost\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected host:port"), std::string::npos) << r.err;
}

TEST(TxBroadcastCommand, UnreadableMspIsAUsageError) {
  const CliRun r = run({"tx", "broadcast", "--orderer", "127.0.0.1:7050", "--channel", "mychannel",
                        "--msp", "/nonexistent/msp", "--msp-id", "Org1MSP"});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_NE(r.err.find("--msp \"/nonexistent/msp\""), std::string::npos) << r.err;
}

TEST(OrdererFetchCommand, ToBeforeFromIsAUsageError) {
  const CliRun r = run({"orderer", "fetch", "--orderer", "127.0.0.1:7050", "--channel", "c",
                        "--from", "5", "--to", "2", "--msp", "/x", "--msp-id", "Org1MSP"});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_NE(r.err.find("--to 2"), std::string::npos) << r.err;
}

TEST(OrdererStartCommand, BadConfigValueIsExitTwoNamingTheKey) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("fabnet-cli-orderer-{}", ::getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "orderer.yaml") << "General:\n  ListenPort: port\n";
  std::ofstream(dir / "channels.yaml") << "channels: []\n";
  const CliRun r = run({"orderer", "start", "--config", (dir / "orderer.yaml").string(),
                        "--channels", (dir / "channels.yaml").string()});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_NE(r.err.find("General.ListenPort"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(CryptoGenerateCommand, WritesTheOrdererOrgUsersAndTheOrdererSection) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("fabnet-cli-gen-{}", ::getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "network.yaml")
      << "orgs:\n  - {name: Org1, msp_id: Org1MSP, domain: org1.example.com, peers: 1}\n"
         "channels:\n  - {name: mychannel, orgs: [Org1MSP]}\n"
         "orderer: {name: Orderer, msp_id: OrdererMSP, domain: example.com}\n";
  const CliRun r = run({"crypto", "generate", "--config", (dir / "network.yaml").string(),
                        "--output", (dir / "out").string()});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_TRUE(fs::exists(dir / "out/ordererOrganizations/example.com/orderers/orderer.example.com/"
                               "msp/keystore/priv_sk"));
  EXPECT_TRUE(fs::exists(dir / "out/peerOrganizations/org1.example.com/users/"
                               "User1@org1.example.com/msp/signcerts/"
                               "User1@org1.example.com-cert.pem"));
  const auto defs = config::load_channel_definitions_file(dir / "out/channels.yaml");
  ASSERT_TRUE(defs.orderer.has_value());
  EXPECT_EQ(defs.orderer->msp_id, "OrdererMSP");
  EXPECT_EQ(defs.orderer->endpoints, (std::vector<std::string>{"orderer.example.com:7050"}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fabnet::cli

namespace fabnet::cli {
namespace {

TEST(TxBroadcastCommand, MissingRequiredFlagAndOutOfRangeValueAreExitTwo) {
  EXPECT_EQ(run({"tx", "broadcast", "--orderer", "127.0.0.1:7050"}).status, kExitConfig);
  const CliRun r = run({"tx", "broadcast", "--orderer", "127.0.0.1:7050", "--channel", "c", "--msp",
                        "m", "--msp-id", "M", "--count", "0"});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_NE(r.err.find("--count"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fabnet::cli
