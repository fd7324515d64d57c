// Keys a Fabric operator sets: the ones fabnet does not use are accepted and
// listed, metrics.provider / Metrics.Provider are honoured or refused by name.

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "config/core_config.h"
#include "config/orderer_config.h"

namespace fabnet::config {
namespace {

bool contains(const std::vector<std::string>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

TEST(FabricKeys, KeysFabnetDoesNotUseAreAcceptedAndListed) {
  const CoreConfig c = load_core_config_string(
      "peer:\n  id: peer0\n  BCCSP: {Default: SW}\n  chaincodeListenAddress: 0.0.0.0:7052\n"
      "  gossip: {useLeaderElection: true}\n"
      "chaincode:\n  builder: x\nledger:\n  state: {stateDatabase: CouchDB}\nvm:\n  endpoint: x\n"
      "operations:\n  listenAddress: 127.0.0.1:9443\nmetrics:\n  provider: prometheus\n",
      {}, "core.yaml");
  EXPECT_EQ(c.peer_id, "peer0");
  EXPECT_TRUE(contains(c.ignored_keys, "chaincode"));
  EXPECT_TRUE(contains(c.ignored_keys, "ledger"));
  EXPECT_TRUE(contains(c.ignored_keys, "vm"));
  EXPECT_TRUE(contains(c.ignored_keys, "peer.BCCSP"));
  EXPECT_TRUE(contains(c.ignored_keys, "peer.chaincodeListenAddress"));
  EXPECT_FALSE(contains(c.ignored_keys, "peer.gossip"));
  EXPECT_FALSE(contains(c.ignored_keys, "operations"));
  EXPECT_FALSE(contains(c.ignored_keys, "metrics"));
  EXPECT_TRUE(is_used_core_key("peer.tls.enabled"));
  EXPECT_FALSE(is_used_core_key("peer.handlers"));
}

TEST(FabricKeys, FabricsSampleCoreYamlLoads) {
  const std::string sample = std::string(FABNET_SHARED_DIR) + "/data/fabric/core-v2.4.9.yaml";
  if (!std::filesystem::is_regular_file(sample)) GTEST_SKIP() << sample << " is not here";
  const CoreConfig c = load_core_config_file(sample, {});
  EXPECT_EQ(c.metrics_provider, "disabled");  // the sample's value
  EXPECT_TRUE(contains(c.ignored_keys, "chaincode"));
  EXPECT_TRUE(contains(c.ignored_keys, "ledger"));
}

TEST(FabricKeys, MetricsProviderIsHonouredOrRefusedByName) {
  EXPECT_EQ(load_core_config_string("", {}, "core.yaml").metrics_provider, "prometheus");
  EXPECT_EQ(
      load_core_config_string("metrics:\n  provider: disabled\n", {}, "core.yaml").metrics_provider,
      "disabled");
  EXPECT_EQ(load_core_config_string("", {{"CORE_METRICS_PROVIDER", "disabled"}}, "core.yaml")
                .metrics_provider,
            "disabled");
  try {
    load_core_config_string("metrics:\n  provider: statsd\n", {}, "core.yaml");
    ADD_FAILURE() << "statsd accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.provider: statsd is not supported"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(load_orderer_config_string("Metrics:\n  Provider: disabled\n", {}, "orderer.yaml")
                .metrics_provider,
            "disabled");
  EXPECT_EQ(load_orderer_config_string("", {}, "orderer.yaml").metrics_provider, "prometheus");
  try {
    load_orderer_config_string("Metrics:\n  Provider: graphite\n", {}, "orderer.yaml");
    ADD_FAILURE() << "graphite accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("Metrics.Provider"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fabnet::config
