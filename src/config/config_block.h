#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/network_config.h"

namespace fabnet::config {

// Fabric's channel configuration as a genesis or config block carries it
// (common.Block → Envelope → Payload{CONFIG} → ConfigEnvelope → Config). fabnet
// reads, per channel:
//   Channel/Application/<org>/MSP          FabricMSPConfig: name (MSP ID), root_certs,
//                                          intermediate_certs, tls_root_certs,
//                                          tls_intermediate_certs, fabric_node_ous
//   Channel/Application/<org>/AnchorPeers  host:port of each anchor peer
//   Channel/Orderer/<org>/MSP              the orderer org(s), as above
//   Channel/Orderer/<org>/Endpoints        their endpoints, else Channel/OrdererAddresses
//   Channel/Orderer/BatchSize, BatchTimeout
// Policies, capabilities, ACLs and consensus metadata are not used: fabnet checks
// membership by MSP ID and CA, and block signatures by the orderer org.

// The NodeOUs of a block's msp.FabricNodeOUs (only the OU names: fabnet classifies
// by OU, not by the OU identifier's certificate).
struct BlockNodeOus {
  bool enable = false;
  std::string client_ou = "client", peer_ou = "peer", admin_ou = "admin", orderer_ou = "orderer";
};

// An org's MSP as a config block defines it (msp.FabricMSPConfig); PEM fields are the
// repeated certificates concatenated, "" when none.
struct BlockMsp {
  std::string msp_id;
  std::string root_certs_pem;
  std::string intermediate_certs_pem;
  std::string tls_root_certs_pem;
  std::string tls_intermediate_certs_pem;
  std::optional<BlockNodeOus> node_ous;  // nullopt: fabric_node_ous absent
};

struct BlockOrdererOrg {
  BlockMsp msp;
  std::vector<std::string> endpoints;  // Channel/Orderer/<org>/Endpoints (may be empty)
};

// Everything fabnet reads from a config block. Unlike channel_from_config_block it
// takes any number (at least one) of orderer orgs, as Fabric's channels may have.
struct ChannelConfig {
  ChannelDefinition channel;                   // orgs with MSP ID, root certs, anchor peers
  std::vector<BlockMsp> application_msps;      // the same orgs' MSPs, in channel.orgs order
  std::vector<BlockOrdererOrg> orderer_orgs;   // at least one
  std::vector<std::string> orderer_addresses;  // Channel/OrdererAddresses (may be empty)
  BatchSettings batch;
};

// Reads a marshaled config block. Throws ConfigError as channel_from_config_block does,
// also when no orderer endpoint is given at all.
ChannelConfig read_config_block(std::string_view block_bytes, std::string_view source_name);
ChannelConfig read_config_block_file(const std::filesystem::path& path);

// Where peers pull the channel's blocks from, by Fabric's rule: when any orderer org
// lists its own Endpoints, those of every org (in org order) and no channel-wide
// OrdererAddresses; otherwise the OrdererAddresses.
std::vector<std::string> orderer_endpoints_of(const ChannelConfig& config);

// The channel and its ordering service defined by a marshaled config block. Throws
// ConfigError naming `source_name` and the config path (e.g.
// Channel/Application/Org1MSP/MSP) of anything missing or malformed.
ChannelDefinitions channel_from_config_block(std::string_view block_bytes,
                                             std::string_view source_name);

// Reads `path` and calls channel_from_config_block.
ChannelDefinitions channel_from_config_block_file(const std::filesystem::path& path);

// A genesis block (number 0, unsigned, as configtxgen writes one) for `channel`
// served by `orderer`, in Fabric's layout: what channel_from_config_block reads,
// with "Admins" as every group's mod_policy and no policies. For fabnet's own
// networks and tests; a Fabric peer would also want the channel's policies.
// The orderer org's TLS CA (orderer.tls_ca_cert_pem) becomes its MSP's tls_root_certs,
// and `tls_root_certs` (MSP ID → PEM) the application orgs'.
std::string make_config_block(const ChannelDefinition& channel, const OrdererDefinition& orderer,
                              const std::map<std::string, std::string>& tls_root_certs = {});

}  // namespace fabnet::config
