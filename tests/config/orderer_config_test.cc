#include "config/orderer_config.h"

#include <gtest/gtest.h>

#include "config/network_config.h"

namespace fabnet::config {
namespace {

using namespace std::chrono_literals;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(OrdererConfig, EmptyFileGivesFabricSampleDefaults) {
  const OrdererConfig c = load_orderer_config_string("", {}, "orderer.yaml");
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 7050);
  EXPECT_EQ(c.local_msp_id, "SampleOrg");
  EXPECT_EQ(c.time_window, 15min);
  EXPECT_EQ(c.operations_listen_address, "127.0.0.1:8443");
}

TEST(OrdererConfig, ReadsKeysCaseInsensitivelyAndResolvesPathsAgainstTheFile) {
  const OrdererConfig c = load_orderer_config_string(
      "General:\n  listenport: 7055\n  LocalMSPDir: msp\n  LocalMSPID: OrdererMSP\n"
      "  Authentication:\n    TimeWindow: 5m\nFileLedger:\n  Location: ledger\n",
      {}, "/etc/orderer/orderer.yaml");
  EXPECT_EQ(c.listen_port, 7055);
  EXPECT_EQ(c.local_msp_id, "OrdererMSP");
  EXPECT_EQ(c.time_window, 5min);
  EXPECT_EQ(c.msp_dir(), "/etc/orderer/msp");
  EXPECT_EQ(c.ledger_dir(), "/etc/orderer/ledger");
}

TEST(OrdererConfig, EnvironmentOverridesByFabricsRule) {
  const OrdererConfig c = load_orderer_config_string(
      "General:\n  ListenPort: 7050\n",
      {{"ORDERER_GENERAL_LISTENPORT", "8050"}, {"ORDERER_FILELEDGER_LOCATION", "/data"}},
      "orderer.yaml");
  EXPECT_EQ(c.listen_port, 8050);
  EXPECT_EQ(c.file_ledger_location, "/data");
}

TEST(OrdererConfig, ErrorsNameKeyValueAndExpectation) {
  const std::string port = error_of(
      [] { load_orderer_config_string("General:\n  ListenPort: 70500\n", {}, "orderer.yaml"); });
  EXPECT_NE(port.find("orderer.yaml:2"), std::string::npos) << port;
  EXPECT_NE(port.find("General.ListenPort"), std::string::npos) << port;
  EXPECT_NE(port.find("70500"), std::string::npos) << port;
  EXPECT_NE(port.find("expected a port number"), std::string::npos) << port;
  const std::string env = error_of([] {
    load_orderer_config_string("", {{"ORDERER_GENERAL_AUTHENTICATION_TIMEWINDOW", "soon"}},
                               "orderer.yaml");
  });
  EXPECT_NE(env.find("ORDERER_GENERAL_AUTHENTICATION_TIMEWINDOW"), std::string::npos) << env;
  EXPECT_NE(env.find("soon"), std::string::npos) << env;
}

TEST(NetworkOrderer, BatchSettingsReadFabricsSizesAndDefaultEndpoints) {
  const NetworkConfig n = load_network_config_string(
      "orgs:\n  - {name: Org1, msp_id: Org1MSP, domain: org1.example.com, peers: 1}\n"
      "orderer:\n  name: Orderer\n  msp_id: OrdererMSP\n  domain: example.com\n"
      "  BatchTimeout: 250ms\n"
      "  BatchSize: {MaxMessageCount: 50, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}\n",
      "network.yaml");
  ASSERT_TRUE(n.orderer.has_value());
  EXPECT_EQ(n.orderer->endpoints, (std::vector<std::string>{"orderer.example.com:7050"}));
  EXPECT_EQ(n.orderer->batch.batch_timeout, 250ms);
  EXPECT_EQ(n.orderer->batch.max_message_count, 50u);
  EXPECT_EQ(n.orderer->batch.absolute_max_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(n.orderer->batch.preferred_max_bytes, 2u * 1024 * 1024);
}

TEST(NetworkOrderer, DefaultsAreFabricSamples) {
  const BatchSettings b;
  EXPECT_EQ(b.batch_timeout, 2s);
  EXPECT_EQ(b.max_message_count, 10u);
  EXPECT_EQ(b.absolute_max_bytes, 99u * 1024 * 1024);
  EXPECT_EQ(b.preferred_max_bytes, 512u * 1024);
}

TEST(NetworkOrderer, PreferredLargerThanAbsoluteIsRefused) {
  const std::string e = error_of([] {
    load_network_config_string(
        "orgs:\n  - {name: Org1, msp_id: Org1MSP, domain: org1.example.com, peers: 1}\n"
        "orderer:\n  {name: O, msp_id: OMSP, domain: example.com,\n"
        "   BatchSize: {AbsoluteMaxBytes: 1 MB, PreferredMaxBytes: 2 MB}}\n",
        "network.yaml");
  });
  EXPECT_NE(e.find("orderer.BatchSize.PreferredMaxBytes"), std::string::npos) << e;
  EXPECT_NE(e.find("no larger than AbsoluteMaxBytes"), std::string::npos) << e;
}

TEST(NetworkOrderer, BadSizeNamesTheKey) {
  const std::string e = error_of([] {
    load_network_config_string(
        "orgs:\n  - {name: Org1, msp_id: Org1MSP, domain: org1.example.com, peers: 1}\n"
        "orderer: {name: O, msp_id: OMSP, domain: example.com, BatchSize: {AbsoluteMaxBytes: "
        "lots}}\n",
        "network.yaml");
  });
  EXPECT_NE(e.find("orderer.BatchSize.AbsoluteMaxBytes"), std::string::npos) << e;
  EXPECT_NE(e.find("lots"), std::string::npos) << e;
}

TEST(ChannelDefinitionsOrderer, RoundTripsThroughTheFileFormat) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  ChannelDefinitions defs;
  defs.channels.push_back({"mychannel", {{"Org1MSP", pem, {}, {}}}});
  OrdererDefinition orderer;
  orderer.msp_id = "OrdererMSP";
  orderer.ca_cert_pem = pem;
  orderer.endpoints = {"127.0.0.1:7050"};
  orderer.batch.max_message_count = 25;
  defs.orderer = orderer;
  const std::string text = format_channel_definitions(defs, ".");
  const ChannelDefinitions back = load_channel_definitions_string(text, "channels.yaml", ".");
  ASSERT_TRUE(back.orderer.has_value()) << text;
  EXPECT_EQ(back.orderer->msp_id, "OrdererMSP");
  EXPECT_EQ(back.orderer->endpoints, orderer.endpoints);
  EXPECT_EQ(back.orderer->batch.max_message_count, 25u);
  EXPECT_EQ(back.orderer->batch.batch_timeout, 2s);
}

TEST(ChannelDefinitionsOrderer, FilesWithoutTheSectionLoadAsBefore) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  ChannelDefinitions defs;
  defs.channels.push_back({"mychannel", {{"Org1MSP", pem, {}, {}}}});
  const std::string text = format_channel_definitions(defs, ".");
  EXPECT_EQ(text.find("orderer"), std::string::npos);
  EXPECT_FALSE(load_channel_definitions_string(text, "c.yaml", ".").orderer.has_value());
}

}  // namespace
}  // namespace fabnet::config
