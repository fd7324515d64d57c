#pragma once

#include <string>
#include <string_view>

#include "config/network_config.h"

namespace fabnet::config {

// Fabric's channel configuration as a genesis or config block carries it
// (common.Block → Envelope → Payload{CONFIG} → ConfigEnvelope → Config). fabnet
// reads, per channel:
//   Channel/Application/<org>/MSP          FabricMSPConfig: name (MSP ID), root_certs
//   Channel/Application/<org>/AnchorPeers  host:port of each anchor peer
//   Channel/Orderer/<org>/MSP              the orderer org (exactly one)
//   Channel/Orderer/<org>/Endpoints        its endpoints, else Channel/OrdererAddresses
//   Channel/Orderer/BatchSize, BatchTimeout
// Policies, capabilities, ACLs and consensus metadata are not used: fabnet checks
// membership by MSP ID and CA, and block signatures by the orderer org.

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
std::string make_config_block(const ChannelDefinition& channel, const OrdererDefinition& orderer);

}  // namespace fabnet::config
