// cryptogen's crypto-config.yaml: fabric-samples' files load as cryptogen reads
// them, and mistakes are named by key.

#include "config/cryptogen_config.h"

#include <gtest/gtest.h>

namespace fabnet::config {
namespace {

using Org = crypto::NetworkSpec::Org;

// fabric-samples test-network's crypto-config-org1.yaml and -orderer.yaml, joined.
constexpr std::string_view kTestNetwork = R"(
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
)";

std::string error_of(std::string_view yaml) {
  try {
    load_cryptogen_config_string(yaml, "crypto-config.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return "";
}

TEST(CryptogenConfig, RecognisesCryptogensFormatByItsTopLevelKeys) {
  EXPECT_TRUE(is_cryptogen_config(kTestNetwork));
  EXPECT_TRUE(is_cryptogen_config("PeerOrgs: []\n"));
  EXPECT_FALSE(is_cryptogen_config("orgs:\n  - name: Org1\n"));
  EXPECT_FALSE(is_cryptogen_config("[: not yaml"));
}

TEST(CryptogenConfig, ReadsFabricSamplesTestNetwork) {
  const CryptogenConfig config = load_cryptogen_config_string(kTestNetwork, "crypto-config.yaml");
  ASSERT_EQ(config.spec.orgs.size(), 1u);
  const Org& org1 = config.spec.orgs[0];
  EXPECT_EQ(org1.name, "Org1");
  EXPECT_EQ(org1.msp_id, "Org1MSP");
  EXPECT_EQ(org1.domain, "org1.example.com");
  EXPECT_EQ(org1.peers, std::vector<std::string>{"peer0"});
  EXPECT_EQ(org1.users, 1u);
  EXPECT_TRUE(org1.node_ous);
  EXPECT_EQ(org1.host_sans.at("peer0"), std::vector<std::string>{"localhost"});
  ASSERT_TRUE(config.spec.orderer.has_value());
  EXPECT_EQ(config.spec.orderer->msp_id, "OrdererMSP");
  EXPECT_EQ(config.spec.orderer->peers, std::vector<std::string>{"orderer"});
  EXPECT_EQ(config.spec.orderer->users, 0u);  // cryptogen gives orderer orgs only an Admin
}

TEST(CryptogenConfig, RendersTemplatesAndSpecsAsCryptogenDoes) {
  const CryptogenConfig config = load_cryptogen_config_string(R"(
PeerOrgs:
  - Name: Org2
    Domain: org2.example.com
    Template:
      Count: 2
      Start: 5
      Hostname: "node{{.Index}}"
      SANS: ["{{.Hostname}}.alt.{{.Domain}}"]
    Specs:
      - Hostname: foo
        CommonName: "{{.Hostname}}.{{.Domain}}"
        SANS: [10.0.0.1]
)",
                                                              "crypto-config.yaml");
  const Org& org = config.spec.orgs.at(0);
  EXPECT_EQ(org.peers, (std::vector<std::string>{"foo", "node5", "node6"}));
  EXPECT_FALSE(org.node_ous);  // EnableNodeOUs defaults to false, as in cryptogen
  EXPECT_EQ(org.users, 0u);    // no Users: Admin only
  EXPECT_EQ(org.host_sans.at("foo"), std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(org.host_sans.at("node6"), std::vector<std::string>{"{{.Hostname}}.alt.{{.Domain}}"});
  EXPECT_FALSE(config.spec.orderer.has_value());
}

TEST(CryptogenConfig, MistakesAreNamedByKey) {
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n    Tempalte: {Count: 1}\n")
                .find("PeerOrgs[0].Tempalte: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n    Template: {Count: x}\n")
                .find("PeerOrgs[0].Template.Count: \"x\" is not a count"),
            std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Domain: a.com\n    Template: {Count: 1}\n")
                .find("PeerOrgs[0].Name: is missing"),
            std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n")
                .find("PeerOrgs[0].Template.Count: defines no host"),
            std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n    Template: {Count: 1}\n"
                     "    Specs: [{Hostname: peer0}]\n")
                .find("\"peer0\" is used twice"),
            std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n    Template: {Count: 1}\n"
                     "    CA: {Country: DE}\n")
                .find("PeerOrgs[0].CA.Country: custom subject fields are not supported"),
            std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n    Template: {Count: 1}\n"
                     "OrdererOrgs:\n  - {Name: O1, Domain: o1.com, Specs: [{Hostname: o}]}\n"
                     "  - {Name: O2, Domain: o2.com, Specs: [{Hostname: o}]}\n")
                .find("OrdererOrgs: has 2 orgs; expected at most one orderer org"),
            std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n    Template: {Count: 1}\n"
                     "  - Name: Org2\n    Domain: a.com\n    Template: {Count: 1}\n")
                .find("PeerOrgs[1].Domain: is used by another org"),
            std::string::npos);
  EXPECT_NE(error_of("OrdererOrgs: []\n").find("PeerOrgs: is missing or empty"), std::string::npos);
  EXPECT_NE(error_of("PeerOrgs:\n  - Name: Org1\n    Domain: a.com\n    EnableNodeOUs: yes\n"
                     "    Template: {Count: 1}\n")
                .find("PeerOrgs[0].EnableNodeOUs: \"yes\" is not a boolean"),
            std::string::npos);
}

}  // namespace
}  // namespace fabnet::config
