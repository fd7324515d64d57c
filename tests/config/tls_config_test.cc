// The TLS keys of core.yaml (peer.tls.*, operations.tls.*) and orderer.yaml
// (General.TLS.*, Operations.TLS.*), with their CORE_/ORDERER_ overrides.

#include <gtest/gtest.h>

#include <filesystem>

#include "config/core_config.h"
#include "config/network_config.h"
#include "config/orderer_config.h"

namespace fabnet::config {
namespace {

const std::string kShared = FABNET_SHARED_DIR;
const std::string kV24 = kShared + "/data/fabric/core-v2.4.9.yaml";

TEST(PeerTlsConfig, OffByDefault) {
  const CoreConfig c = load_core_config_string("", {}, "core.yaml");
  EXPECT_FALSE(c.tls.enabled);
  EXPECT_FALSE(c.tls.client_auth_required);
  EXPECT_EQ(c.tls.enabled_from, "");
  EXPECT_FALSE(c.operations_tls.enabled);
}

TEST(PeerTlsConfig, ReadsFabricsKeys) {
  const CoreConfig c = load_core_config_string(R"(
peer:
  tls:
    enabled: true
    clientAuthRequired: true
    cert: {file: tls/server.crt}
    key: {file: tls/server.key}
    rootcert: {file: tls/ca.crt}
    clientRootCAs:
      files: [tls/ca.crt, /etc/other-ca.pem]
    clientCert: {file: tls/client.crt}
    clientKey: {file: tls/client.key}
operations:
  tls:
    enabled: true
    clientAuthRequired: true
    cert: {file: ops.crt}
    key: {file: ops.key}
    clientRootCAs: {files: [ops-ca.pem]}
)",
                                               {}, "core.yaml");
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_EQ(c.tls.enabled_from, "core.yaml:4");
  EXPECT_TRUE(c.tls.client_auth_required);
  EXPECT_EQ(c.tls.cert_file, "tls/server.crt");
  EXPECT_EQ(c.tls.key_file, "tls/server.key");
  EXPECT_EQ(c.tls.root_cert_file, "tls/ca.crt");
  EXPECT_EQ(c.tls.client_root_cas, (std::vector<std::string>{"tls/ca.crt", "/etc/other-ca.pem"}));
  EXPECT_EQ(c.tls.client_cert_file, "tls/client.crt");
  EXPECT_EQ(c.tls.client_key_file, "tls/client.key");
  EXPECT_TRUE(c.operations_tls.enabled);
  EXPECT_TRUE(c.operations_tls.client_auth_required);
  EXPECT_EQ(c.operations_tls.cert_file, "ops.crt");
  EXPECT_EQ(c.operations_tls.key_file, "ops.key");
  EXPECT_EQ(c.operations_tls.client_root_cas, (std::vector<std::string>{"ops-ca.pem"}));
}

TEST(PeerTlsConfig, EnvironmentOverridesAsFabricDoes) {
  const Environment env{{"CORE_PEER_TLS_ENABLED", "true"},
                        {"CORE_PEER_TLS_CLIENTAUTHREQUIRED", "TRUE"},
                        {"CORE_PEER_TLS_CERT_FILE", "/crypto/server.crt"},
                        {"CORE_PEER_TLS_KEY_FILE", "/crypto/server.key"},
                        {"CORE_PEER_TLS_ROOTCERT_FILE", "/crypto/ca.crt"},
                        {"CORE_PEER_TLS_CLIENTROOTCAS_FILES", "/a.pem /b.pem"},
                        {"CORE_PEER_TLS_CLIENTCERT_FILE", "/crypto/client.crt"},
                        {"CORE_PEER_TLS_CLIENTKEY_FILE", "/crypto/client.key"},
                        {"CORE_OPERATIONS_TLS_ENABLED", "1"}};
  const CoreConfig c =
      load_core_config_string("peer:\n  tls:\n    enabled: false\n", env, "core.yaml");
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_EQ(c.tls.enabled_from, "environment variable CORE_PEER_TLS_ENABLED");
  EXPECT_TRUE(c.tls.client_auth_required);
  EXPECT_EQ(c.tls.cert_file, "/crypto/server.crt");
  EXPECT_EQ(c.tls.key_file, "/crypto/server.key");
  EXPECT_EQ(c.tls.root_cert_file, "/crypto/ca.crt");
  EXPECT_EQ(c.tls.client_root_cas, (std::vector<std::string>{"/a.pem", "/b.pem"}));
  EXPECT_EQ(c.tls.client_cert_file, "/crypto/client.crt");
  EXPECT_EQ(c.tls.client_key_file, "/crypto/client.key");
  EXPECT_TRUE(c.operations_tls.enabled);
}

TEST(PeerTlsConfig, BadBooleanNamesTheKey) {
  try {
    load_core_config_string("", {{"CORE_PEER_TLS_ENABLED", "yes"}}, "core.yaml");
    ADD_FAILURE() << "accepted CORE_PEER_TLS_ENABLED=yes";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "peer.tls.enabled");
    EXPECT_EQ(e.value(), "yes");
  }
}

TEST(PeerTlsConfig, FabricsSampleCoreYamlReadsItsTlsSection) {
  if (!std::filesystem::is_regular_file(kV24)) GTEST_SKIP() << kV24 << " is not here";
  const CoreConfig c = load_core_config_file(kV24, {});
  EXPECT_FALSE(c.tls.enabled);
  EXPECT_EQ(c.tls.cert_file, "tls/server.crt");
  EXPECT_EQ(c.tls.key_file, "tls/server.key");
  EXPECT_EQ(c.tls.root_cert_file, "tls/ca.crt");
  EXPECT_EQ(c.tls.client_root_cas, (std::vector<std::string>{"tls/ca.crt"}));
  EXPECT_EQ(c.tls.client_cert_file, "");
  EXPECT_FALSE(c.operations_tls.enabled);
}

TEST(OrdererTlsConfig, ReadsGeneralTlsAndOperationsTlsWithOverrides) {
  const OrdererConfig c =
      load_orderer_config_string(R"(
General:
  TLS:
    Enabled: true
    PrivateKey: tls/server.key
    Certificate: tls/server.crt
    RootCAs:
      - tls/ca.crt
    ClientAuthRequired: false
    ClientRootCAs: []
Operations:
  TLS:
    Enabled: false
    Certificate: ops.crt
)",
                                 {{"ORDERER_GENERAL_TLS_CLIENTAUTHREQUIRED", "true"},
                                  {"ORDERER_GENERAL_TLS_CLIENTROOTCAS", "[/x/ca1.pem, /x/ca2.pem]"},
                                  {"ORDERER_OPERATIONS_TLS_ENABLED", "true"}},
                                 "/etc/hyperledger/orderer.yaml");
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_EQ(c.tls.private_key, "tls/server.key");
  EXPECT_EQ(c.tls.certificate, "tls/server.crt");
  EXPECT_EQ(c.tls.root_cas, (std::vector<std::string>{"tls/ca.crt"}));
  EXPECT_TRUE(c.tls.client_auth_required);
  EXPECT_EQ(c.tls.client_root_cas, (std::vector<std::string>{"/x/ca1.pem", "/x/ca2.pem"}));
  EXPECT_EQ(c.resolve_path(c.tls.certificate),
            std::filesystem::path("/etc/hyperledger/tls/server.crt"));
  EXPECT_TRUE(c.operations_tls.enabled);
  EXPECT_EQ(c.operations_tls.certificate, "ops.crt");
}

TEST(ChannelDefinitionsTls, OrdererTlsCaIsOptionalAndRoundTrips) {
  const std::string yaml = "orderer:\n  msp_id: OrdererMSP\n  ca_cert: |\n    " +
                           std::string(
                               "-----BEGIN CERTIFICATE-----\n    MIIB\n    -----END "
                               "CERTIFICATE-----\n") +
                           "  tls_ca_cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIC\n    "
                           "-----END CERTIFICATE-----\n  endpoints: [127.0.0.1:7050]\n"
                           "channels:\n  - name: c\n    orgs:\n      - msp_id: Org1MSP\n"
                           "        ca_cert: |\n          -----BEGIN CERTIFICATE-----\n"
                           "          MIIB\n          -----END CERTIFICATE-----\n";
  const ChannelDefinitions defs = load_channel_definitions_string(yaml, "channels.yaml", ".");
  ASSERT_TRUE(defs.orderer.has_value());
  EXPECT_NE(defs.orderer->tls_ca_cert_pem.find("MIIC"), std::string::npos);
  const ChannelDefinitions again =
      load_channel_definitions_string(format_channel_definitions(defs, "."), "again.yaml", ".");
  EXPECT_EQ(again.orderer->tls_ca_cert_pem, defs.orderer->tls_ca_cert_pem);
}

}  // namespace
}  // namespace fabnet::config
