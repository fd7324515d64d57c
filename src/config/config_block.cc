#include "config/config_block.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "common/common.pb.h"
#include "common/configtx.pb.h"
#include "common/configuration.pb.h"
#include "config/duration.h"
#include "ledger/block_builder.h"
#include "msp/msp_config.pb.h"
#include "orderer/configuration.pb.h"
#include "peer/configuration.pb.h"

namespace fabnet::config {
namespace {

// Config group and value names, as Fabric's channelconfig package spells them.
constexpr char kApplication[] = "Application";
constexpr char kOrderer[] = "Orderer";
constexpr char kMsp[] = "MSP";
constexpr char kAnchorPeers[] = "AnchorPeers";
constexpr char kEndpoints[] = "Endpoints";
constexpr char kOrdererAddresses[] = "OrdererAddresses";
constexpr char kBatchSize[] = "BatchSize";
constexpr char kBatchTimeout[] = "BatchTimeout";
constexpr int kFabricMspType = 0;

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& problem,
                         const std::string& expected) const {
    throw ConfigError(source_, path, "", problem, expected);
  }

  template <typename Message>
  Message parse(std::string_view bytes, const std::string& path, const char* what) const {
    Message message;
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      fail(path, "does not parse", fmt::format("a marshaled {}", what));
    return message;
  }

  // Repeated PEM certificates, concatenated with a newline after each.
  std::string pems(const google::protobuf::RepeatedPtrField<std::string>& certs,
                   const std::string& path) const {
    std::string out;
    for (const std::string& pem : certs) {
      if (pem.find("-----BEGIN") == std::string::npos)
        fail(path, "holds a certificate that is not PEM", "PEM text");
      out += pem;
      if (!pem.empty() && pem.back() != '\n') out += '\n';
    }
    return out;
  }

  // The org's MSP from its MSP value.
  BlockMsp msp(const common::ConfigGroup& group, const std::string& path) const {
    const auto msp_value = group.values().find(kMsp);
    if (msp_value == group.values().end()) fail(path + "/" + kMsp, "is missing", "the org's MSP");
    const std::string msp_path = path + "/" + kMsp;
    const auto msp = parse<msp::MSPConfig>(msp_value->second.value(), msp_path, "msp.MSPConfig");
    if (msp.type() != kFabricMspType)
      fail(msp_path, fmt::format("has MSP type {}", msp.type()),
           "0 (an X.509 MSP; idemix is not supported)");
    const auto fabric = parse<msp::FabricMSPConfig>(msp.config(), msp_path, "msp.FabricMSPConfig");
    if (fabric.name().empty()) fail(msp_path, "has no name", "the MSP ID");
    if (fabric.root_certs().empty())
      fail(msp_path, "has no root_certs", "the org's CA certificates");
    BlockMsp out;
    out.msp_id = fabric.name();
    out.root_certs_pem = pems(fabric.root_certs(), msp_path + ".root_certs");
    out.intermediate_certs_pem =
        pems(fabric.intermediate_certs(), msp_path + ".intermediate_certs");
    out.tls_root_certs_pem = pems(fabric.tls_root_certs(), msp_path + ".tls_root_certs");
    out.tls_intermediate_certs_pem =
        pems(fabric.tls_intermediate_certs(), msp_path + ".tls_intermediate_certs");
    if (fabric.has_fabric_node_ous()) {
      const msp::FabricNodeOUs& n = fabric.fabric_node_ous();
      BlockNodeOus ous;
      ous.enable = n.enable();
      auto ou = [](const msp::FabricOUIdentifier& id, std::string& into) {
        if (!id.organizational_unit_identifier().empty())
          into = id.organizational_unit_identifier();
      };
      ou(n.client_ou_identifier(), ous.client_ou);
      ou(n.peer_ou_identifier(), ous.peer_ou);
      ou(n.admin_ou_identifier(), ous.admin_ou);
      ou(n.orderer_ou_identifier(), ous.orderer_ou);
      out.node_ous = ous;
    }
    return out;
  }

 private:
  std::string source_;
};

std::vector<std::string> addresses_of(const Reader& reader, const common::ConfigValue& value,
                                      const std::string& path) {
  const auto addresses =
      reader.parse<common::OrdererAddresses>(value.value(), path, "common.OrdererAddresses");
  return {addresses.addresses().begin(), addresses.addresses().end()};
}

}  // namespace

ChannelConfig read_config_block(std::string_view block_bytes, std::string_view source_name) {
  const Reader reader{std::string(source_name)};
  const auto block = reader.parse<common::Block>(block_bytes, "block", "common.Block");
  if (!block.has_data() || block.data().data_size() == 0)
    reader.fail("block.data", "is empty", "one config envelope");
  const auto envelope =
      reader.parse<common::Envelope>(block.data().data(0), "block.data[0]", "common.Envelope");
  const auto payload =
      reader.parse<common::Payload>(envelope.payload(), "block.data[0].payload", "common.Payload");
  const auto header = reader.parse<common::ChannelHeader>(
      payload.header().channel_header(), "block.data[0] channel header", "common.ChannelHeader");
  if (header.type() != common::CONFIG)
    reader.fail("block.data[0] channel header", fmt::format("has type {}", header.type()),
                "1 (CONFIG): a genesis or config block");
  if (header.channel_id().empty())
    reader.fail("block.data[0] channel header", "names no channel", "a channel ID");
  const auto config_envelope = reader.parse<common::ConfigEnvelope>(
      payload.data(), "block.data[0] config envelope", "common.ConfigEnvelope");
  const common::ConfigGroup& root = config_envelope.config().channel_group();

  ChannelConfig out;
  ChannelDefinition& channel = out.channel;
  channel.name = header.channel_id();

  const auto application = root.groups().find(kApplication);
  if (application == root.groups().end())
    reader.fail("Channel/Application", "is missing", "the channel's application orgs");
  for (const auto& [name, group] : application->second.groups()) {
    const std::string path = "Channel/Application/" + name;
    BlockMsp msp = reader.msp(group, path);
    ChannelOrg org;
    org.msp_id = msp.msp_id;
    org.ca_cert_pem = msp.root_certs_pem;
    if (const auto anchors = group.values().find(kAnchorPeers); anchors != group.values().end()) {
      const auto peers = reader.parse<protos::AnchorPeers>(
          anchors->second.value(), path + "/" + kAnchorPeers, "protos.AnchorPeers");
      for (const auto& peer : peers.anchor_peers()) {
        if (peer.host().empty() || peer.port() <= 0 || peer.port() > 65535)
          reader.fail(path + "/" + kAnchorPeers,
                      fmt::format("lists {}:{}", peer.host(), peer.port()),
                      "host names with ports 1-65535");
        org.anchor_peers.push_back(fmt::format("{}:{}", peer.host(), peer.port()));
      }
    }
    channel.orgs.push_back(std::move(org));
    out.application_msps.push_back(std::move(msp));
  }
  if (channel.orgs.empty()) reader.fail("Channel/Application", "has no orgs", "at least one org");

  const auto orderer_group = root.groups().find(kOrderer);
  if (orderer_group == root.groups().end())
    reader.fail("Channel/Orderer", "is missing", "the channel's ordering service");
  const common::ConfigGroup& orderer = orderer_group->second;
  if (orderer.groups().empty())
    reader.fail("Channel/Orderer", "has no orderer orgs", "the orgs that sign the blocks");
  // By group name: a protobuf map's order is unspecified, and endpoints keep org order.
  const std::map<std::string, common::ConfigGroup> orderer_orgs(orderer.groups().begin(),
                                                                orderer.groups().end());
  for (const auto& [name, group] : orderer_orgs) {
    const std::string path = "Channel/Orderer/" + name;
    BlockOrdererOrg& org = out.orderer_orgs.emplace_back();
    org.msp = reader.msp(group, path);
    if (const auto endpoints = group.values().find(kEndpoints); endpoints != group.values().end())
      org.endpoints = addresses_of(reader, endpoints->second, path + "/" + kEndpoints);
  }
  if (const auto global = root.values().find(kOrdererAddresses); global != root.values().end())
    out.orderer_addresses = addresses_of(reader, global->second, "Channel/OrdererAddresses");
  if (orderer_endpoints_of(out).empty())
    reader.fail("Channel/Orderer/" + orderer_orgs.begin()->first + "/" + kEndpoints,
                "is missing (and so is Channel/OrdererAddresses)",
                "the orderer endpoints peers pull blocks from");
  if (const auto size = orderer.values().find(kBatchSize); size != orderer.values().end()) {
    const auto batch = reader.parse<orderer::BatchSize>(
        size->second.value(), "Channel/Orderer/BatchSize", "orderer.BatchSize");
    if (batch.max_message_count() == 0)
      reader.fail("Channel/Orderer/BatchSize.max_message_count", "is 0", "a positive count");
    out.batch.max_message_count = batch.max_message_count();
    out.batch.absolute_max_bytes = batch.absolute_max_bytes();
    out.batch.preferred_max_bytes = batch.preferred_max_bytes();
  }
  if (const auto timeout = orderer.values().find(kBatchTimeout);
      timeout != orderer.values().end()) {
    const auto value = reader.parse<orderer::BatchTimeout>(
        timeout->second.value(), "Channel/Orderer/BatchTimeout", "orderer.BatchTimeout");
    try {
      out.batch.batch_timeout = parse_go_duration(value.timeout());
    } catch (const std::exception& e) {
      reader.fail("Channel/Orderer/BatchTimeout",
                  fmt::format("is \"{}\": {}", value.timeout(), e.what()),
                  "a Go duration such as 2s");
    }
  }
  return out;
}

std::vector<std::string> orderer_endpoints_of(const ChannelConfig& config) {
  std::vector<std::string> per_org;
  for (const BlockOrdererOrg& org : config.orderer_orgs)
    per_org.insert(per_org.end(), org.endpoints.begin(), org.endpoints.end());
  return per_org.empty() ? config.orderer_addresses : per_org;
}

ChannelDefinitions channel_from_config_block(std::string_view block_bytes,
                                             std::string_view source_name) {
  ChannelConfig config = read_config_block(block_bytes, source_name);
  if (config.orderer_orgs.size() != 1)
    throw ConfigError(std::string(source_name), "Channel/Orderer", "",
                      fmt::format("has {} orderer orgs", config.orderer_orgs.size()),
                      "exactly one (fabnet verifies blocks against one orderer org)");
  ChannelDefinitions out;
  out.source = std::string(source_name);
  OrdererDefinition definition;
  const BlockMsp& msp = config.orderer_orgs.front().msp;
  definition.msp_id = msp.msp_id;
  definition.ca_cert_pem = msp.root_certs_pem;
  definition.tls_ca_cert_pem = msp.tls_root_certs_pem;
  definition.endpoints = orderer_endpoints_of(config);
  definition.batch = config.batch;
  out.channels.push_back(std::move(config.channel));
  out.orderer = std::move(definition);
  return out;
}

namespace {

std::string read_block_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path))
    throw ConfigError(path.string(), "", "", "cannot read the block file",
                      "a genesis or config block (fetched with `peer channel fetch config` or made "
                      "by configtxgen)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

ChannelDefinitions channel_from_config_block_file(const std::filesystem::path& path) {
  return channel_from_config_block(read_block_file(path), path.string());
}

ChannelConfig read_config_block_file(const std::filesystem::path& path) {
  return read_config_block(read_block_file(path), path.string());
}

namespace {

void put_value(common::ConfigGroup& group, const std::string& name,
               const google::protobuf::MessageLite& value) {
  common::ConfigValue& slot = (*group.mutable_values())[name];
  slot.set_value(value.SerializeAsString());
  slot.set_mod_policy("Admins");
}

common::ConfigGroup org_group(const std::string& msp_id, const std::string& ca_cert_pem,
                              const std::string& tls_root_certs_pem) {
  common::ConfigGroup group;
  group.set_mod_policy("Admins");
  msp::FabricMSPConfig fabric;
  fabric.set_name(msp_id);
  fabric.add_root_certs(ca_cert_pem);
  if (!tls_root_certs_pem.empty()) fabric.add_tls_root_certs(tls_root_certs_pem);
  fabric.mutable_crypto_config()->set_signature_hash_family("SHA2");
  fabric.mutable_crypto_config()->set_identity_identifier_hash_function("SHA256");
  msp::MSPConfig msp;
  msp.set_type(kFabricMspType);
  msp.set_config(fabric.SerializeAsString());
  put_value(group, kMsp, msp);
  return group;
}

}  // namespace

std::string make_config_block(const ChannelDefinition& channel, const OrdererDefinition& orderer,
                              const std::map<std::string, std::string>& tls_root_certs) {
  common::ConfigGroup root;
  root.set_mod_policy("Admins");
  common::OrdererAddresses addresses;
  for (const std::string& endpoint : orderer.endpoints) addresses.add_addresses(endpoint);
  put_value(root, kOrdererAddresses, addresses);

  common::ConfigGroup& application = (*root.mutable_groups())[kApplication];
  application.set_mod_policy("Admins");
  for (const ChannelOrg& org : channel.orgs) {
    const auto tls = tls_root_certs.find(org.msp_id);
    common::ConfigGroup group = org_group(
        org.msp_id, org.ca_cert_pem, tls == tls_root_certs.end() ? std::string() : tls->second);
    if (!org.anchor_peers.empty()) {
      protos::AnchorPeers anchors;
      for (const std::string& endpoint : org.anchor_peers) {
        const auto colon = endpoint.rfind(':');
        protos::AnchorPeer& peer = *anchors.add_anchor_peers();
        peer.set_host(endpoint.substr(0, colon));
        int port = 0;  // 0 if absent or malformed: the reader refuses it
        if (colon != std::string::npos)
          std::from_chars(endpoint.data() + colon + 1, endpoint.data() + endpoint.size(), port);
        peer.set_port(port);
      }
      put_value(group, kAnchorPeers, anchors);
    }
    (*application.mutable_groups())[org.msp_id] = std::move(group);
  }

  common::ConfigGroup& orderer_group = (*root.mutable_groups())[kOrderer];
  orderer_group.set_mod_policy("Admins");
  orderer::BatchSize size;
  size.set_max_message_count(orderer.batch.max_message_count);
  size.set_absolute_max_bytes(static_cast<std::uint32_t>(orderer.batch.absolute_max_bytes));
  size.set_preferred_max_bytes(static_cast<std::uint32_t>(orderer.batch.preferred_max_bytes));
  put_value(orderer_group, kBatchSize, size);
  orderer::BatchTimeout timeout;
  timeout.set_timeout(format_duration(orderer.batch.batch_timeout));
  put_value(orderer_group, kBatchTimeout, timeout);
  common::ConfigGroup org = org_group(orderer.msp_id, orderer.ca_cert_pem, orderer.tls_ca_cert_pem);
  put_value(org, kEndpoints, addresses);
  (*orderer_group.mutable_groups())[orderer.msp_id] = std::move(org);

  common::ConfigEnvelope config;
  *config.mutable_config()->mutable_channel_group() = std::move(root);
  common::ChannelHeader header;
  header.set_type(common::CONFIG);
  header.set_channel_id(channel.name);
  common::Payload payload;
  payload.mutable_header()->set_channel_header(header.SerializeAsString());
  payload.set_data(config.SerializeAsString());
  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  return ledger::make_block(0, "", {envelope.SerializeAsString()}).SerializeAsString();
}

}  // namespace fabnet::config
