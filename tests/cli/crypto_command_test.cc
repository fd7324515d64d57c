// `fabnet crypto generate`: the folder layout it writes, channels.yaml loading
// back, and one-line errors with exit status 2.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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

constexpr std::string_view kNetwork = R"(
orgs:
  - name: Org1
    msp_id: Org1MSP
    domain: org1.example.com
    peers: 2
    anchor_peers: [peer0.org1.example.com:7051]
  - name: Org2
    msp_id: Org2MSP
    domain: org2.example.com
    peers: [alpha]
channels:
  - name: mychannel
    orgs: [Org1MSP, Org2MSP]
  - name: org2only
    orgs: [Org2MSP]
)";

class TempDir {
 public:
  TempDir() {
    std::random_device entropy;
    path_ = fs::temp_directory_path() /
            fmt::format("fabnet-cli-crypto-{}-{:08x}", ::getpid(), entropy());
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path write(const std::string& name, std::string_view text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct CommandRun {
  int status;
  std::string out;
  std::string err;
};

CommandRun fabnet(std::vector<std::string> args) {
  args.insert(args.begin(), "fabnet");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int status = run_fabnet(static_cast<int>(argv.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(CryptoGenerate, WritesFabricLayoutAndChannelDefinitions) {
  TempDir dir;
  const fs::path network = dir.write("network.yaml", kNetwork);
  const fs::path out = dir.path() / "crypto";
  const CommandRun run =
      fabnet({"crypto", "generate", "--config", network.string(), "--output", out.string()});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");

  const fs::path org1 = out / "peerOrganizations/org1.example.com";
  for (const std::string peer : {"peer0", "peer1"}) {
    const fs::path msp = org1 / "peers" / (peer + ".org1.example.com") / "msp";
    EXPECT_TRUE(fs::is_regular_file(msp / "signcerts" / (peer + ".org1.example.com-cert.pem")))
        << msp;
    EXPECT_TRUE(fs::is_regular_file(msp / "keystore/priv_sk")) << msp;
    EXPECT_TRUE(fs::is_regular_file(msp / "cacerts/ca.org1.example.com-cert.pem")) << msp;
  }
  EXPECT_FALSE(fs::exists(org1 / "peers/peer2.org1.example.com"));
  EXPECT_TRUE(fs::is_regular_file(
      out /
      "peerOrganizations/org2.example.com/peers/alpha.org2.example.com/msp/keystore/priv_sk"));

  // channels.yaml uses paths relative to itself and loads back with the CA PEMs.
  const std::string text = slurp(out / "channels.yaml");
  EXPECT_NE(
      text.find("ca_cert: peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem"),
      std::string::npos)
      << text;
  const config::ChannelDefinitions defs =
      config::load_channel_definitions_file(out / "channels.yaml");
  ASSERT_EQ(defs.channels.size(), 2u);
  const config::ChannelDefinition* mychannel = defs.find("mychannel");
  ASSERT_NE(mychannel, nullptr);
  ASSERT_EQ(mychannel->orgs.size(), 2u);
  EXPECT_EQ(mychannel->orgs[0].msp_id, "Org1MSP");
  EXPECT_EQ(mychannel->orgs[0].ca_cert_pem, slurp(org1 / "ca/ca.org1.example.com-cert.pem"));
  EXPECT_EQ(mychannel->orgs[0].anchor_peers,
            (std::vector<std::string>{"peer0.org1.example.com:7051"}));
  EXPECT_EQ(mychannel->orgs[1].msp_id, "Org2MSP");
  const config::ChannelDefinition* org2only = defs.find("org2only");
  ASSERT_NE(org2only, nullptr);
  ASSERT_EQ(org2only->orgs.size(), 1u);
  EXPECT_EQ(org2only->orgs[0].msp_id, "Org2MSP");

  EXPECT_NE(run.out.find("Generated crypto material for 2 orgs and 3 peers in " + out.string()),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("Org1 (Org1MSP)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("peers peer0, peer1: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find((out / "channels.yaml").string() + " (2 channels: mychannel, org2only)"),
            std::string::npos)
      << run.out;
}

TEST(CryptoGenerate, SecondRunIntoTheSameFolderIsRefused) {
  TempDir dir;
  const fs::path network = dir.write("network.yaml", kNetwork);
  const std::string out = (dir.path() / "crypto").string();
  ASSERT_EQ(fabnet({"crypto", "generate", "--config", network.string(), "--output", out}).status,
            kExitOk);
  const std::string before = slurp(fs::path(out) / "channels.yaml");
  const CommandRun again =
      fabnet({"crypto", "generate", "--config", network.string(), "--output", out});
  EXPECT_EQ(again.status, kExitConfig);
  EXPECT_EQ(again.err, "fabnet crypto generate: " + out +
                           "/channels.yaml: already exists; expected an output folder without "
                           "earlier generated material\n");
  EXPECT_EQ(slurp(fs::path(out) / "channels.yaml"), before);
}

TEST(CryptoGenerate, BadNetworkFileIsOneLineAndExitTwo) {
  TempDir dir;
  const fs::path network = dir.write("network.yaml", "orgs:\n  - name: Org1\n    msp: Org1MSP\n");
  const fs::path out = dir.path() / "crypto";
  const CommandRun run =
      fabnet({"crypto", "generate", "--config", network.string(), "--output", out.string()});
  EXPECT_EQ(run.status, kExitConfig);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "fabnet crypto generate: " + network.string() +
                         ":3: orgs[0].msp: unknown key; expected one of: name, msp_id, domain, "
                         "peers, anchor_peers\n");
  EXPECT_FALSE(fs::exists(out));
}

TEST(CryptoGenerate, MissingNetworkFileIsExitTwo) {
  TempDir dir;
  const CommandRun run =
      fabnet({"crypto", "generate", "--config", (dir.path() / "nope.yaml").string(), "--output",
              (dir.path() / "out").string()});
  EXPECT_EQ(run.status, kExitConfig);
  EXPECT_NE(run.err.find("nope.yaml: cannot open: No such file or directory"), std::string::npos)
      << run.err;
}

TEST(CryptoGenerate, ConfigOptionIsRequired) {
  const CommandRun run = fabnet({"crypto", "generate"});
  EXPECT_NE(run.status, kExitOk);
  EXPECT_NE(run.err.find("--config is required"), std::string::npos) << run.err;
}

// fabric-samples test network's crypto-config-org1.yaml, -org2.yaml and
// -orderer.yaml in one file, as cryptogen reads them.
constexpr std::string_view kCryptoConfig = R"(
OrdererOrgs:
  - Name: Orderer
    Domain: example.com
    EnableNodeOUs: true
    Specs:
      - Hostname: orderer
        SANS:
          - localhost
PeerOrgs:
  - Name: Org1
    Domain: org1.example.com
    EnableNodeOUs: true
    Template:
      Count: 1
      SANS:
        - localhost
    Users:
      Count: 1
  - Name: Org2
    Domain: org2.example.com
    EnableNodeOUs: true
    Template:
      Count: 1
      SANS:
        - localhost
    Users:
      Count: 1
)";

TEST(CryptoGenerate, AcceptsCryptogensCryptoConfigYaml) {
  TempDir dir;
  const fs::path input = dir.write("crypto-config.yaml", kCryptoConfig);
  const fs::path out = dir.path() / "organizations";
  const CommandRun run =
      fabnet({"crypto", "generate", "--config", input.string(), "--output", out.string()});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  for (const char* file : {
           "peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/server.crt",
           "peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp/config.yaml",
           "peerOrganizations/org2.example.com/users/User1@org2.example.com/tls/client.key",
           "peerOrganizations/org2.example.com/users/Admin@org2.example.com/msp/signcerts/"
           "Admin@org2.example.com-cert.pem",
           "ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.key",
           "ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem",
           "ordererOrganizations/example.com/users/Admin@example.com/msp/keystore/priv_sk",
       }) {
    EXPECT_TRUE(fs::is_regular_file(out / file)) << file;
  }
  const config::ChannelDefinitions defs =
      config::load_channel_definitions_file(out / "channels.yaml");
  EXPECT_TRUE(defs.channels.empty());  // channels come from config blocks
  ASSERT_TRUE(defs.orderer.has_value());
  EXPECT_EQ(defs.orderer->msp_id, "OrdererMSP");
  EXPECT_EQ(defs.orderer->endpoints, std::vector<std::string>{"orderer.example.com:7050"});
  EXPECT_NE(run.out.find("Org1 (Org1MSP)"), std::string::npos) << run.out;
}

TEST(CryptoGenerate, CryptoConfigMistakesNameTheKey) {
  TempDir dir;
  const fs::path input = dir.write("crypto-config.yaml",
                                   "PeerOrgs:\n  - Name: Org1\n    Domain: org1.example.com\n"
                                   "    Template:\n      Cuont: 1\n");
  const CommandRun run = fabnet({"crypto", "generate", "--config", input.string(), "--output",
                                 (dir.path() / "out").string()});
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("PeerOrgs[0].Template.Cuont: unknown key"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "peerOrganizations"));
}

TEST(PeerChannelJoin, NeedsAChannelOrABlockAndNamesAnUnreadableBlock) {
  const CommandRun none = fabnet({"peer", "channel", "join", "--ops", "127.0.0.1:1"});
  EXPECT_EQ(none.status, 2) << none.err;
  const CommandRun both =
      fabnet({"peer", "channel", "join", "-c", "ch", "-b", "x.block", "--ops", "127.0.0.1:1"});
  EXPECT_EQ(both.status, 2) << both.err;
  TempDir dir;
  const CommandRun missing =
      fabnet({"peer", "channel", "join", "-b", (dir.path() / "nosuch.block").string(), "--ops",
              "127.0.0.1:1"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("cannot read the block file"), std::string::npos) << missing.err;
  const fs::path junk = dir.write("junk.block", "not a block");
  const CommandRun bad =
      fabnet({"peer", "channel", "join", "-b", junk.string(), "--ops", "127.0.0.1:1"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("junk.block"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace fabnet::cli
