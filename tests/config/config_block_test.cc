#include "config/config_block.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/common.pb.h"
#include "common/configtx.pb.h"
#include "common/configuration.pb.h"
#include "msp/msp_config.pb.h"
#include "orderer/configuration.pb.h"

namespace fabnet::config {
namespace {

using namespace std::chrono_literals;

std::string pem(const std::string& tag) {
  return "-----BEGIN CERTIFICATE-----\n" + tag + "\n-----END CERTIFICATE-----\n";
}

ChannelDefinition sample_channel() {
  ChannelDefinition channel;
  channel.name = "mychannel";
  channel.orgs.push_back({"Org1MSP", pem("org1"), {}, {"peer0.org1.example.com:7051"}});
  channel.orgs.push_back({"Org2MSP", pem("org2"), {}, {}});
  return channel;
}

OrdererDefinition sample_orderer() {
  OrdererDefinition orderer;
  orderer.msp_id = "OrdererMSP";
  orderer.ca_cert_pem = pem("orderer");
  orderer.endpoints = {"orderer.example.com:7050", "127.0.0.1:7050"};
  orderer.batch.batch_timeout = 250ms;
  orderer.batch.max_message_count = 7;
  orderer.batch.absolute_max_bytes = 1000000;
  orderer.batch.preferred_max_bytes = 200000;
  return orderer;
}

TEST(ConfigBlock, ReadsBackTheChannelAndOrdererItWasMadeFrom) {
  const std::string block = make_config_block(sample_channel(), sample_orderer());
  const ChannelDefinitions read = channel_from_config_block(block, "genesis.block");
  ASSERT_EQ(read.channels.size(), 1u);
  const ChannelDefinition& channel = read.channels[0];
  EXPECT_EQ(channel.name, "mychannel");
  ASSERT_EQ(channel.orgs.size(), 2u);
  const ChannelOrg* org1 = channel.find_org("Org1MSP");
  ASSERT_NE(org1, nullptr);
  EXPECT_EQ(org1->ca_cert_pem, pem("org1"));
  EXPECT_EQ(org1->anchor_peers, std::vector<std::string>{"peer0.org1.example.com:7051"});
  ASSERT_NE(channel.find_org("Org2MSP"), nullptr);
  EXPECT_TRUE(channel.find_org("Org2MSP")->anchor_peers.empty());
  ASSERT_TRUE(read.orderer.has_value());
  EXPECT_EQ(read.orderer->msp_id, "OrdererMSP");
  EXPECT_EQ(read.orderer->ca_cert_pem, pem("orderer"));
  EXPECT_EQ(read.orderer->endpoints, sample_orderer().endpoints);
  EXPECT_EQ(read.orderer->batch.batch_timeout, 250ms);
  EXPECT_EQ(read.orderer->batch.max_message_count, 7u);
  EXPECT_EQ(read.orderer->batch.absolute_max_bytes, 1000000u);
  EXPECT_EQ(read.orderer->batch.preferred_max_bytes, 200000u);
}

TEST(ConfigBlock, IsBlockZeroWithOneConfigEnvelopeAndAMatchingDataHash) {
  common::Block block;
  ASSERT_TRUE(block.ParseFromString(make_config_block(sample_channel(), sample_orderer())));
  EXPECT_EQ(block.header().number(), 0u);
  EXPECT_TRUE(block.header().previous_hash().empty());
  ASSERT_EQ(block.data().data_size(), 1);
  EXPECT_EQ(block.header().data_hash().size(), 32u);
}

// Rewrites the config inside a made block and returns the new block's bytes.
std::string with_config(const std::function<void(common::ConfigGroup& root)>& change) {
  common::Block block;
  block.ParseFromString(make_config_block(sample_channel(), sample_orderer()));
  common::Envelope envelope;
  envelope.ParseFromString(block.data().data(0));
  common::Payload payload;
  payload.ParseFromString(envelope.payload());
  common::ConfigEnvelope config;
  config.ParseFromString(payload.data());
  change(*config.mutable_config()->mutable_channel_group());
  payload.set_data(config.SerializeAsString());
  envelope.set_payload(payload.SerializeAsString());
  block.mutable_data()->set_data(0, envelope.SerializeAsString());
  return block.SerializeAsString();
}

void expect_error(const std::string& block, std::initializer_list<std::string_view> parts) {
  try {
    channel_from_config_block(block, "genesis.block");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    for (std::string_view part : parts)
      EXPECT_NE(message.find(part), std::string::npos)
          << "missing \"" << part << "\" in " << message;
  }
}

TEST(ConfigBlock, NotABlockIsRefusedNamingTheFile) {
  expect_error("\xff\xff\xff", {"genesis.block", "block", "common.Block"});
}

TEST(ConfigBlock, ABlockThatIsNotAConfigBlockIsRefused) {
  common::Block block;
  block.ParseFromString(make_config_block(sample_channel(), sample_orderer()));
  common::Envelope envelope;
  envelope.ParseFromString(block.data().data(0));
  common::Payload payload;
  payload.ParseFromString(envelope.payload());
  common::ChannelHeader header;
  header.ParseFromString(payload.header().channel_header());
  header.set_type(common::ENDORSER_TRANSACTION);
  payload.mutable_header()->set_channel_header(header.SerializeAsString());
  envelope.set_payload(payload.SerializeAsString());
  block.mutable_data()->set_data(0, envelope.SerializeAsString());
  expect_error(block.SerializeAsString(), {"has type 3", "CONFIG"});
}

TEST(ConfigBlock, MissingPartsAreNamedByTheirConfigPath) {
  expect_error(
      with_config([](common::ConfigGroup& root) { root.mutable_groups()->erase("Application"); }),
      {"Channel/Application", "is missing"});
  expect_error(with_config([](common::ConfigGroup& root) {
                 (*root.mutable_groups())["Application"]
                     .mutable_groups()
                     ->at("Org2MSP")
                     .mutable_values()
                     ->erase("MSP");
               }),
               {"Channel/Application/Org2MSP/MSP", "is missing"});
  expect_error(with_config([](common::ConfigGroup& root) {
                 auto& org = (*root.mutable_groups())["Orderer"].mutable_groups()->at("OrdererMSP");
                 org.mutable_values()->erase("Endpoints");
                 root.mutable_values()->erase("OrdererAddresses");
               }),
               {"Channel/Orderer/OrdererMSP/Endpoints", "orderer endpoints"});
}

TEST(ConfigBlock, ChannelWideOrdererAddressesServeWhenTheOrgHasNoEndpoints) {
  const ChannelDefinitions read =
      channel_from_config_block(with_config([](common::ConfigGroup& root) {
                                  (*root.mutable_groups())["Orderer"]
                                      .mutable_groups()
                                      ->at("OrdererMSP")
                                      .mutable_values()
                                      ->erase("Endpoints");
                                }),
                                "genesis.block");
  EXPECT_EQ(read.orderer->endpoints, sample_orderer().endpoints);
}

TEST(ConfigBlock, UnsupportedShapesAreRefusedWithWhatWasExpected) {
  expect_error(with_config([](common::ConfigGroup& root) {
                 auto& orderers = *(*root.mutable_groups())["Orderer"].mutable_groups();
                 orderers["Orderer2MSP"] = orderers.at("OrdererMSP");
               }),
               {"Channel/Orderer", "2 orderer orgs", "exactly one"});
  expect_error(with_config([](common::ConfigGroup& root) {
                 auto& value = (*(*root.mutable_groups())["Application"]
                                     .mutable_groups()
                                     ->at("Org1MSP")
                                     .mutable_values())["MSP"];
                 msp::MSPConfig msp;
                 msp.ParseFromString(value.value());
                 msp.set_type(1);
                 value.set_value(msp.SerializeAsString());
               }),
               {"Channel/Application/Org1MSP/MSP", "MSP type 1", "idemix"});
  expect_error(with_config([](common::ConfigGroup& root) {
                 orderer::BatchTimeout timeout;
                 timeout.set_timeout("soon");
                 (*(*root.mutable_groups())["Orderer"].mutable_values())["BatchTimeout"].set_value(
                     timeout.SerializeAsString());
               }),
               {"Channel/Orderer/BatchTimeout", "soon", "Go duration"});
}

// Channel/Orderer/<org> with its own MSP (CA `ca`) and Endpoints (none when empty).
void add_orderer_org(common::ConfigGroup& root, const std::string& msp_id, const std::string& ca,
                     const std::vector<std::string>& endpoints) {
  auto& orderers = *(*root.mutable_groups())["Orderer"].mutable_groups();
  common::ConfigGroup org = orderers.at("OrdererMSP");
  auto& msp_value = (*org.mutable_values())["MSP"];
  msp::MSPConfig msp;
  msp.ParseFromString(msp_value.value());
  msp::FabricMSPConfig fabric;
  fabric.ParseFromString(msp.config());
  fabric.set_name(msp_id);
  fabric.clear_root_certs();
  fabric.add_root_certs(ca);
  msp.set_config(fabric.SerializeAsString());
  msp_value.set_value(msp.SerializeAsString());
  org.mutable_values()->erase("Endpoints");
  if (!endpoints.empty()) {
    common::OrdererAddresses addresses;
    for (const std::string& e : endpoints) addresses.add_addresses(e);
    (*org.mutable_values())["Endpoints"].set_value(addresses.SerializeAsString());
  }
  orderers[msp_id] = org;
}

void erase_org_endpoints(common::ConfigGroup& root, const std::string& msp_id) {
  (*root.mutable_groups())["Orderer"].mutable_groups()->at(msp_id).mutable_values()->erase(
      "Endpoints");
}

void set_global_addresses(common::ConfigGroup& root, const std::vector<std::string>& endpoints) {
  common::OrdererAddresses addresses;
  for (const std::string& e : endpoints) addresses.add_addresses(e);
  (*root.mutable_values())["OrdererAddresses"].set_value(addresses.SerializeAsString());
}

TEST(ConfigBlock, ReadsEveryOrdererOrgWithItsCaTlsCaAndEndpoints) {
  OrdererDefinition orderer = sample_orderer();
  orderer.tls_ca_cert_pem = pem("orderer-tls");
  const ChannelConfig read = read_config_block(
      make_config_block(sample_channel(), orderer, {{"Org2MSP", pem("org2-tls")}}),
      "genesis.block");
  EXPECT_EQ(read.channel.name, "mychannel");
  ASSERT_EQ(read.orderer_orgs.size(), 1u);
  EXPECT_EQ(read.orderer_orgs[0].msp.msp_id, "OrdererMSP");
  EXPECT_EQ(read.orderer_orgs[0].msp.root_certs_pem, pem("orderer"));
  EXPECT_EQ(read.orderer_orgs[0].msp.tls_root_certs_pem, pem("orderer-tls"));
  EXPECT_EQ(read.orderer_orgs[0].endpoints, orderer.endpoints);
  EXPECT_EQ(read.orderer_addresses, orderer.endpoints);
  EXPECT_EQ(read.batch.max_message_count, 7u);
  ASSERT_EQ(read.application_msps.size(), 2u);
  for (const BlockMsp& msp : read.application_msps)
    EXPECT_EQ(msp.tls_root_certs_pem, msp.msp_id == "Org2MSP" ? pem("org2-tls") : "");
  // channel_from_config_block carries the orderer's TLS CA too.
  EXPECT_EQ(channel_from_config_block(make_config_block(sample_channel(), orderer), "b")
                .orderer->tls_ca_cert_pem,
            pem("orderer-tls"));
}

TEST(ConfigBlock, NodeOusOfAnMspAreRead) {
  const ChannelConfig read =
      read_config_block(with_config([](common::ConfigGroup& root) {
                          auto& value = (*(*root.mutable_groups())["Orderer"]
                                              .mutable_groups()
                                              ->at("OrdererMSP")
                                              .mutable_values())["MSP"];
                          msp::MSPConfig msp;
                          msp.ParseFromString(value.value());
                          msp::FabricMSPConfig fabric;
                          fabric.ParseFromString(msp.config());
                          fabric.mutable_fabric_node_ous()->set_enable(true);
                          fabric.mutable_fabric_node_ous()
                              ->mutable_orderer_ou_identifier()
                              ->set_organizational_unit_identifier("ordering");
                          msp.set_config(fabric.SerializeAsString());
                          value.set_value(msp.SerializeAsString());
                        }),
                        "genesis.block");
  ASSERT_TRUE(read.orderer_orgs[0].msp.node_ous.has_value());
  EXPECT_TRUE(read.orderer_orgs[0].msp.node_ous->enable);
  EXPECT_EQ(read.orderer_orgs[0].msp.node_ous->orderer_ou, "ordering");
  EXPECT_EQ(read.orderer_orgs[0].msp.node_ous->peer_ou, "peer");
  EXPECT_FALSE(read.application_msps[0].node_ous.has_value());
}

// Fabric's rule: per-org Endpoints of every orderer org when any org has some, and
// then the channel-wide OrdererAddresses are ignored; otherwise OrdererAddresses.
TEST(ConfigBlock, PerOrgOrdererEndpointsWinOverTheChannelWideAddresses) {
  const ChannelConfig both =
      read_config_block(with_config([](common::ConfigGroup& root) {
                          add_orderer_org(root, "Orderer2MSP", pem("o2"), {"o2.example.com:7050"});
                          set_global_addresses(root, {"global.example.com:7050"});
                        }),
                        "genesis.block");
  ASSERT_EQ(both.orderer_orgs.size(), 2u);
  EXPECT_EQ(orderer_endpoints_of(both),
            (std::vector<std::string>{"o2.example.com:7050", "orderer.example.com:7050",
                                      "127.0.0.1:7050"}));  // by org (group) name

  // One org with endpoints is enough to ignore the global list.
  const ChannelConfig one =
      read_config_block(with_config([](common::ConfigGroup& root) {
                          add_orderer_org(root, "Orderer2MSP", pem("o2"), {"o2.example.com:7050"});
                          erase_org_endpoints(root, "OrdererMSP");
                          set_global_addresses(root, {"global.example.com:7050"});
                        }),
                        "genesis.block");
  EXPECT_EQ(orderer_endpoints_of(one), std::vector<std::string>{"o2.example.com:7050"});

  const ChannelConfig global =
      read_config_block(with_config([](common::ConfigGroup& root) {
                          add_orderer_org(root, "Orderer2MSP", pem("o2"), {});
                          erase_org_endpoints(root, "OrdererMSP");
                          set_global_addresses(root, {"global.example.com:7050"});
                        }),
                        "genesis.block");
  EXPECT_EQ(orderer_endpoints_of(global), std::vector<std::string>{"global.example.com:7050"});
  EXPECT_EQ(global.orderer_orgs[0].msp.msp_id, "Orderer2MSP");
  EXPECT_EQ(global.orderer_orgs[0].msp.root_certs_pem, pem("o2"));
}

TEST(ConfigBlock, NoOrdererEndpointAnywhereIsRefused) {
  try {
    read_config_block(with_config([](common::ConfigGroup& root) {
                        add_orderer_org(root, "Orderer2MSP", pem("o2"), {});
                        erase_org_endpoints(root, "OrdererMSP");
                        root.mutable_values()->erase("OrdererAddresses");
                      }),
                      "genesis.block");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("orderer endpoints"), std::string::npos) << e.what();
  }
}

TEST(ConfigBlock, AMissingFileIsAClearError) {
  try {
    channel_from_config_block_file("/nonexistent/genesis.block");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/genesis.block"), std::string::npos);
  }
}

}  // namespace
}  // namespace fabnet::config
