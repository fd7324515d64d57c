// NETWORK.yaml (for `fabnet crypto generate`) and the channel definitions file
// a peer is given: loading, validation errors naming the key, writing back.

#include "config/network_config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace fabnet::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTwoOrgs = R"(
orgs:
  - name: Org1
    msp_id: Org1MSP
    domain: org1.example.com
    peers: 3
    anchor_peers: [peer0.org1.example.com:7051]
  - name: Org2
    msp_id: Org2MSP
    domain: org2.example.com
    peers: [alpha, beta]
channels:
  - name: mychannel
    orgs: [Org1MSP, Org2MSP]
  - name: org1only
    orgs: [Org1MSP]
)";

constexpr std::string_view kPem =
    "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n";

// Runs fn, which must throw ConfigError, and checks the message holds every part.
void expect_error(const std::function<void()>& fn, std::initializer_list<std::string_view> parts) {
  try {
    fn();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    for (std::string_view p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "missing \"" << p << "\" in: " << msg;
    }
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return;
  }
  ADD_FAILURE() << "no error thrown";
}

NetworkConfig network(std::string_view yaml) {
  return load_network_config_string(yaml, "net.yaml");
}

void expect_network_error(std::string_view yaml, std::initializer_list<std::string_view> parts) {
  expect_error([&] { network(yaml); }, parts);
}

// A scratch directory removed at the end of each test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "fabnet-netcfg-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path write(const fs::path& name, std::string_view text) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(NetworkConfig, LoadsOrgsPeersAndChannels) {
  const NetworkConfig n = network(kTwoOrgs);
  EXPECT_EQ(n.source, "net.yaml");
  ASSERT_EQ(n.orgs.size(), 2u);
  EXPECT_EQ(n.orgs[0].name, "Org1");
  EXPECT_EQ(n.orgs[0].msp_id, "Org1MSP");
  EXPECT_EQ(n.orgs[0].domain, "org1.example.com");
  EXPECT_EQ(n.orgs[0].peers, (std::vector<std::string>{"peer0", "peer1", "peer2"}));
  EXPECT_EQ(n.orgs[0].anchor_peers, (std::vector<std::string>{"peer0.org1.example.com:7051"}));
  EXPECT_EQ(n.orgs[1].peers, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_TRUE(n.orgs[1].anchor_peers.empty());
  ASSERT_EQ(n.channels.size(), 2u);
  EXPECT_EQ(n.channels[0].name, "mychannel");
  EXPECT_EQ(n.channels[0].orgs, (std::vector<std::string>{"Org1MSP", "Org2MSP"}));
  EXPECT_EQ(n.channels[1].orgs, (std::vector<std::string>{"Org1MSP"}));
  EXPECT_EQ(n.find_org("Org2MSP"), &n.orgs[1]);
  EXPECT_EQ(n.find_org("Org3MSP"), nullptr);
}

TEST(NetworkConfig, ChannelsAreOptional) {
  const NetworkConfig n =
      network("orgs: [{name: O, msp_id: OMSP, domain: o.example.com, peers: 1}]");
  EXPECT_TRUE(n.channels.empty());
  EXPECT_EQ(n.orgs[0].peers, (std::vector<std::string>{"peer0"}));
}

TEST(NetworkConfig, ConvertsToTheCryptoSpec) {
  const crypto::NetworkSpec spec = to_network_spec(network(kTwoOrgs));
  ASSERT_EQ(spec.orgs.size(), 2u);
  EXPECT_EQ(spec.orgs[0].name, "Org1");
  EXPECT_EQ(spec.orgs[0].msp_id, "Org1MSP");
  EXPECT_EQ(spec.orgs[0].domain, "org1.example.com");
  EXPECT_EQ(spec.orgs[1].peers, (std::vector<std::string>{"alpha", "beta"}));
}

TEST(NetworkConfig, LoadsFromAFile) {
  TempDir dir;
  const fs::path file = dir.write("network.yaml", kTwoOrgs);
  EXPECT_EQ(load_network_config_file(file).source, file.string());
  expect_error([&] { load_network_config_file(dir.path() / "missing.yaml"); },
               {"missing.yaml: cannot open: No such file or directory",
                "expected a readable network YAML file"});
}

TEST(NetworkConfig, UnknownKeysAreNamedWithTheirPath) {
  expect_network_error("orgs: []\nchanels: []\n",
                       {"net.yaml:2: chanels: unknown key; expected one of: orgs, channels"});
  expect_network_error("orgs:\n  - name: O\n    mspid: OMSP\n",
                       {"net.yaml:3: orgs[0].mspid: unknown key",
                        "expected one of: name, msp_id, domain, peers, anchor_peers"});
  expect_network_error(
      "orgs: [{name: O, msp_id: OMSP, domain: o.example.com, peers: 1}]\n"
      "channels:\n  - name: c\n    members: [OMSP]\n",
      {"net.yaml:4: channels[0].members: unknown key; expected one of: name, orgs"});
}

TEST(NetworkConfig, MissingAndEmptyValuesAreNamed) {
  expect_network_error("", {"net.yaml: is empty; expected a mapping with orgs"});
  expect_network_error("channels: []\n", {"net.yaml:1: orgs: is missing or empty"});
  expect_network_error("orgs: []\n",
                       {"net.yaml:1: orgs: is an empty list; expected at least one org"});
  expect_network_error("orgs:\n  - name: O\n    domain: o.example.com\n    peers: 1\n",
                       {"net.yaml:2: orgs[0].msp_id: is missing or empty; expected an MSP ID"});
  expect_network_error("orgs:\n  - {name: O, msp_id: '', domain: o.example.com, peers: 1}\n",
                       {"orgs[0].msp_id: is empty"});
}

TEST(NetworkConfig, WrongTypesShowWhatWasFound) {
  expect_network_error("orgs: Org1\n",
                       {"net.yaml:1: orgs: found a scalar \"Org1\"; expected a list of orgs"});
  expect_network_error("orgs: [Org1]\n", {"orgs[0]: found a scalar \"Org1\"; expected an org"});
  expect_network_error("- a\n- b\n", {"(top level): found a list [a, b]"});
  expect_network_error("orgs: [{name: [a], msp_id: M, domain: d.com, peers: 1}]\n",
                       {"orgs[0].name: found a list [a]; expected an org name"});
}

TEST(NetworkConfig, PeerCountMustBeAPositiveNumber) {
  for (std::string_view peers : {"0", "-1", "three", "1.5", "1001"}) {
    expect_network_error(
        fmt::format("orgs: [{{name: O, msp_id: OMSP, domain: o.example.com, peers: {}}}]", peers),
        {"orgs[0].peers: \"", "\" is not a peer count",
         "expected a number of peers from 1 to 1000"});
  }
  expect_network_error("orgs: [{name: O, msp_id: OMSP, domain: o.example.com, peers: []}]",
                       {"orgs[0].peers: is an empty list"});
  expect_network_error("orgs: [{name: O, msp_id: OMSP, domain: o.example.com, peers: {a: 1}}]",
                       {"orgs[0].peers: found a mapping {a: 1}"});
}

TEST(NetworkConfig, PeerNamesMustBeHostNamesOnce) {
  expect_network_error("orgs: [{name: O, msp_id: OMSP, domain: o.example.com, peers: [p0, p_1]}]",
                       {"orgs[0].peers[1]: \"p_1\" is not a host name"});
  expect_network_error("orgs: [{name: O, msp_id: OMSP, domain: o.example.com, peers: [p0, p0]}]",
                       {"orgs[0].peers[1]: \"p0\" is listed twice"});
}

TEST(NetworkConfig, OrgsMustDiffer) {
  expect_network_error(
      "orgs:\n"
      "  - {name: A, msp_id: AMSP, domain: a.example.com, peers: 1}\n"
      "  - {name: B, msp_id: AMSP, domain: b.example.com, peers: 1}\n",
      {"net.yaml:3: orgs[1].msp_id: \"AMSP\" is used by an earlier org; expected a different "
       "msp_id per org"});
  expect_network_error(
      "orgs:\n"
      "  - {name: A, msp_id: AMSP, domain: a.example.com, peers: 1}\n"
      "  - {name: B, msp_id: BMSP, domain: a.example.com, peers: 1}\n",
      {"orgs[1].domain: \"a.example.com\" is used by an earlier org"});
  expect_network_error("orgs: [{name: A, msp_id: AMSP, domain: a_b.com, peers: 1}]",
                       {"orgs[0].domain: \"a_b.com\" is not a domain"});
  expect_network_error("orgs: [{name: A, msp_id: A MSP, domain: a.com, peers: 1}]",
                       {"orgs[0].msp_id: contains a space"});
}

TEST(NetworkConfig, AnchorPeersMustBeHostPort) {
  for (std::string_view bad : {"peer0", "peer0:0", "peer0:70000", ":7051", "peer0:x"}) {
    expect_network_error(
        fmt::format(
            "orgs: [{{name: A, msp_id: AMSP, domain: a.com, peers: 1, anchor_peers: ['{}']}}]",
            bad),
        {"orgs[0].anchor_peers[0]: \"", "\" is not host:port; expected host:port"});
  }
}

TEST(NetworkConfig, ChannelsMustNameKnownOrgsOnce) {
  const std::string orgs =
      "orgs:\n  - {name: A, msp_id: AMSP, domain: a.example.com, peers: 1}\n"
      "  - {name: B, msp_id: BMSP, domain: b.example.com, peers: 1}\n";
  expect_network_error(orgs + "channels: [{name: c, orgs: [AMSP, CMSP]}]\n",
                       {"net.yaml:4: channels[0].orgs[1]: \"CMSP\" is not an org of the network; "
                        "expected the msp_id of an org above: AMSP, BMSP"});
  expect_network_error(orgs + "channels: [{name: c, orgs: [AMSP, AMSP]}]\n",
                       {"channels[0].orgs[1]: \"AMSP\" is listed twice"});
  expect_network_error(orgs + "channels: [{name: c, orgs: []}]\n",
                       {"channels[0].orgs: is an empty list"});
  expect_network_error(orgs + "channels: [{name: c, orgs: [AMSP]}, {name: c, orgs: [BMSP]}]\n",
                       {"channels[1].name: \"c\" is defined twice"});
  expect_network_error(orgs + "channels: [{name: MyChannel, orgs: [AMSP]}]\n",
                       {"channels[0].name: \"MyChannel\" is not a valid channel name; expected a "
                        "channel name: lower-case letters"});
}

TEST(NetworkConfig, MalformedYamlGivesLineAndColumn) {
  expect_network_error("orgs: [\n  - a\n",
                       {"net.yaml:", "malformed YAML", "expected a valid YAML document"});
}

// Channel definitions

TEST(ChannelDefinitions, LoadsCaCertFromPathRelativeToTheFile) {
  TempDir dir;
  dir.write("crypto/org1/ca.pem", kPem);
  const fs::path file = dir.write("conf/channels.yaml", R"(
channels:
  - name: mychannel
    orgs:
      - msp_id: Org1MSP
        ca_cert: ../crypto/org1/ca.pem
        anchor_peers: [peer0.org1.example.com:7051, peer1.org1.example.com:8051]
)");
  const ChannelDefinitions defs = load_channel_definitions_file(file);
  EXPECT_EQ(defs.source, file.string());
  ASSERT_EQ(defs.channels.size(), 1u);
  const ChannelDefinition* channel = defs.find("mychannel");
  ASSERT_NE(channel, nullptr);
  const ChannelOrg* org = channel->find_org("Org1MSP");
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(org->ca_cert_pem, kPem);
  EXPECT_TRUE(fs::equivalent(org->ca_cert_file, dir.path() / "crypto/org1/ca.pem"));
  EXPECT_EQ(org->anchor_peers, (std::vector<std::string>{"peer0.org1.example.com:7051",
                                                         "peer1.org1.example.com:8051"}));
  EXPECT_EQ(defs.find("other"), nullptr);
  EXPECT_EQ(channel->find_org("Org2MSP"), nullptr);
}

TEST(ChannelDefinitions, AcceptsAbsolutePathsAndInlinePem) {
  TempDir dir;
  const fs::path ca = dir.write("ca.pem", kPem);
  const std::string yaml = fmt::format(
      "channels:\n"
      "  - name: c\n"
      "    orgs:\n"
      "      - msp_id: AMSP\n"
      "        ca_cert: {}\n"
      "      - msp_id: BMSP\n"
      "        ca_cert: |\n"
      "          -----BEGIN CERTIFICATE-----\n"
      "          MIIBdummy\n"
      "          -----END CERTIFICATE-----\n",
      ca.string());
  const ChannelDefinitions defs = load_channel_definitions_string(yaml, "defs", "/nonexistent");
  EXPECT_EQ(defs.channels[0].orgs[0].ca_cert_file, ca);
  EXPECT_EQ(defs.channels[0].orgs[1].ca_cert_pem, kPem);
  EXPECT_TRUE(defs.channels[0].orgs[1].ca_cert_file.empty());
}

TEST(ChannelDefinitions, UnreadableOrNonPemCaCertIsNamed) {
  TempDir dir;
  dir.write("notpem.txt", "hello\n");
  const auto load = [&](std::string_view ca) {
    return [&dir, yaml = fmt::format("channels:\n  - name: c\n    orgs:\n      - msp_id: AMSP\n"
                                     "        ca_cert: {}\n",
                                     ca)] {
      load_channel_definitions_string(yaml, "defs.yaml", dir.path());
    };
  };
  expect_error(load("missing.pem"),
               {"defs.yaml:5: channels[0].orgs[0].ca_cert: cannot open",
                "missing.pem: No such file or directory",
                "expected a PEM certificate file (relative to the channel definitions file)"});
  expect_error(load("notpem.txt"),
               {"channels[0].orgs[0].ca_cert:", "notpem.txt holds no PEM certificate"});
  expect_error(load("'-----BEGIN PRIVATE KEY-----'"),
               {"channels[0].orgs[0].ca_cert: inline PEM holds no certificate"});
  expect_error(load("."), {"channels[0].orgs[0].ca_cert:", "is a directory"});
}

TEST(ChannelDefinitions, UnknownKeysAndMissingValuesAreNamed) {
  const auto load = [](std::string yaml) {
    return [yaml] { load_channel_definitions_string(yaml, "defs.yaml", "."); };
  };
  expect_error(load("channels: []\nversion: 2\n"),
               {"defs.yaml:2: version: unknown key; expected one of: channels"});
  expect_error(load("channels:\n  - name: c\n    orgs:\n      - msp_id: AMSP\n        ca: x\n"),
               {"defs.yaml:5: channels[0].orgs[0].ca: unknown key; expected one of: msp_id, "
                "ca_cert, anchor_peers"});
  expect_error(load("channels:\n  - name: c\n    orgs:\n      - msp_id: AMSP\n"),
               {"channels[0].orgs[0].ca_cert: is missing or empty"});
  expect_error(load("channels:\n  - name: c\n"), {"channels[0].orgs: is missing or empty"});
  expect_error(load("channels:\n  - orgs: []\n"), {"channels[0].name: is missing or empty"});
  expect_error(load(""), {"defs.yaml: is empty; expected a mapping with a list of channels"});
  expect_error(load("chans: []\n"), {"chans: unknown key"});
}

TEST(ChannelDefinitions, EmptyChannelListIsValid) {
  EXPECT_TRUE(load_channel_definitions_string("channels: []\n", "defs", ".").channels.empty());
}

TEST(ChannelDefinitions, DuplicatesAndBadAnchorPeersAreRefused) {
  const std::string org = "{msp_id: AMSP, ca_cert: '" + std::string(kPem) + "'}";
  const auto load = [](std::string yaml) {
    return [yaml] { load_channel_definitions_string(yaml, "defs.yaml", "."); };
  };
  expect_error(load("channels: [{name: c, orgs: [" + org + "]}, {name: c, orgs: [" + org + "]}]"),
               {"channels[1].name: \"c\" is defined twice"});
  expect_error(load("channels: [{name: c, orgs: [" + org + ", " + org + "]}]"),
               {"channels[0].orgs[1].msp_id: \"AMSP\" is listed twice in channel c"});
  expect_error(load("channels: [{name: c, orgs: [{msp_id: AMSP, ca_cert: '" + std::string(kPem) +
                    "', anchor_peers: [nohost]}]}]"),
               {"channels[0].orgs[0].anchor_peers[0]: \"nohost\" is not host:port"});
}

TEST(ChannelDefinitions, WrittenFileLoadsBackWithRelativePaths) {
  TempDir dir;
  const fs::path ca1 = dir.write("peerOrganizations/org1.example.com/ca/ca-cert.pem", kPem);
  ChannelDefinitions defs;
  ChannelDefinition channel;
  channel.name = "mychannel";
  channel.orgs.push_back({"Org1MSP", "", ca1, {"peer0.org1.example.com:7051"}});
  channel.orgs.push_back({"Org2MSP", std::string(kPem), "", {}});
  defs.channels.push_back(channel);

  const fs::path file = dir.path() / "channels.yaml";
  write_channel_definitions(defs, file);
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("ca_cert: peerOrganizations/org1.example.com/ca/ca-cert.pem"),
            std::string::npos)
      << text;

  const ChannelDefinitions back = load_channel_definitions_file(file);
  ASSERT_EQ(back.channels.size(), 1u);
  const ChannelDefinition& c = back.channels[0];
  EXPECT_EQ(c.name, "mychannel");
  ASSERT_EQ(c.orgs.size(), 2u);
  EXPECT_EQ(c.orgs[0].msp_id, "Org1MSP");
  EXPECT_EQ(c.orgs[0].ca_cert_pem, kPem);
  EXPECT_TRUE(fs::equivalent(c.orgs[0].ca_cert_file, ca1));
  EXPECT_EQ(c.orgs[0].anchor_peers, (std::vector<std::string>{"peer0.org1.example.com:7051"}));
  EXPECT_EQ(c.orgs[1].ca_cert_pem, kPem);
  EXPECT_TRUE(c.orgs[1].anchor_peers.empty());
}

TEST(ChannelDefinitions, WriteFailureIsAConfigError) {
  expect_error([] { write_channel_definitions({}, "/nonexistent-dir/channels.yaml"); },
               {"/nonexistent-dir/channels.yaml: cannot write channel definitions"});
}

}  // namespace
}  // namespace fabnet::config
