#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/core_config.h"  // ConfigError
#include "crypto/generate.h"     // NetworkSpec (a plain struct; no link dependency)

namespace fabnet::config {

// Fabric's Orderer.BatchTimeout and Orderer.BatchSize, with the defaults of
// fabric-samples' test network (configtx.yaml). In YAML:
//   BatchTimeout: 2s
//   BatchSize: {MaxMessageCount: 10, AbsoluteMaxBytes: 99 MB, PreferredMaxBytes: 512 KB}
// Sizes are bytes, or a number with KB, MB or GB (powers of 1024, as Fabric reads them).
struct BatchSettings {
  std::chrono::nanoseconds batch_timeout{std::chrono::seconds(2)};
  std::uint32_t max_message_count = 10;
  std::uint64_t absolute_max_bytes = 99ull * 1024 * 1024;
  std::uint64_t preferred_max_bytes = 512ull * 1024;
};

// NETWORK.yaml: the orgs, peers and channels of a local network, input of
// `fabnet crypto generate` (the role of cryptogen's crypto-config.yaml plus the
// channel membership of configtx.yaml):
//   orgs:
//     - name: Org1
//       msp_id: Org1MSP
//       domain: org1.example.com
//       peers: 3                      # peer0..peer2, or a list: [peer0, peer1]
//       anchor_peers: [peer0.org1.example.com:7051]   # optional
//   channels:                         # optional
//     - name: mychannel
//       orgs: [Org1MSP, Org2MSP]
//   orderer:                          # optional: the ordering service's org
//     name: Orderer
//     msp_id: OrdererMSP
//     domain: example.com
//     hosts: [orderer]                # optional, default [orderer]
//     endpoints: [orderer.example.com:7050]   # optional, default <host>.<domain>:7050
//     BatchTimeout: 2s                # optional, and BatchSize: as in BatchSettings
struct NetworkConfig {
  struct Org {
    std::string name;
    std::string msp_id;
    std::string domain;
    std::vector<std::string> peers;         // host names within the domain, e.g. peer0
    std::vector<std::string> anchor_peers;  // host:port, copied into channels.yaml
  };
  struct Channel {
    std::string name;
    std::vector<std::string> orgs;  // MSP IDs of member orgs
  };
  struct OrdererOrg {
    std::string name;
    std::string msp_id;
    std::string domain;
    std::vector<std::string> hosts;      // host names within the domain, e.g. orderer
    std::vector<std::string> endpoints;  // host:port clients and peers dial
    BatchSettings batch;
  };
  std::vector<Org> orgs;
  std::vector<Channel> channels;
  std::optional<OrdererOrg> orderer;
  std::string source;  // file path or source name

  const Org* find_org(std::string_view msp_id) const;
};

// Loads and validates NETWORK.yaml. Throws ConfigError naming the key path
// (e.g. orgs[1].peers), the value and what was expected; unknown keys too.
NetworkConfig load_network_config_file(const std::filesystem::path& path);
NetworkConfig load_network_config_string(std::string_view yaml_text, std::string_view source_name);

// The orgs and peers to generate crypto material for.
crypto::NetworkSpec to_network_spec(const NetworkConfig& network);

// The channel definitions file a peer is given (the role of Fabric's channel
// config block): which orgs are members of each channel and their CA certificates.
//   channels:
//     - name: mychannel
//       orgs:
//         - msp_id: Org1MSP
//           ca_cert: peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem
//           anchor_peers: [peer0.org1.example.com:7051]   # optional
//   orderer:                                   # optional (all channels share it)
//     msp_id: OrdererMSP
//     ca_cert: ordererOrganizations/example.com/ca/ca.example.com-cert.pem
//     endpoints: [orderer.example.com:7050]
//     tls_ca_cert: ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem  # optional
//     BatchTimeout: 2s                         # optional, and BatchSize (BatchSettings)
// ca_cert is a path, relative to the file's directory unless absolute, or the
// PEM text itself (anything containing "-----BEGIN").
struct ChannelOrg {
  std::string msp_id;
  std::string ca_cert_pem;                // PEM of the org's CA certificate(s)
  std::filesystem::path ca_cert_file;     // where the PEM came from; empty when inline
  std::vector<std::string> anchor_peers;  // host:port
};

struct ChannelDefinition {
  std::string name;
  std::vector<ChannelOrg> orgs;

  const ChannelOrg* find_org(std::string_view msp_id) const;
};

// The ordering service every channel uses: whose signatures blocks carry
// (protocol.md §3.5), where to reach it (§10.1), and how it cuts blocks.
struct OrdererDefinition {
  std::string msp_id;
  std::string ca_cert_pem;
  std::filesystem::path ca_cert_file;  // empty when inline
  std::vector<std::string> endpoints;  // host:port
  BatchSettings batch;
  // The orderer org's TLS CA(s) (Fabric's TLSRootCerts): what a peer dialling the
  // orderer over TLS trusts. Empty when not given.
  std::string tls_ca_cert_pem{};
  // Where it came from; empty when inline or not given.
  std::filesystem::path tls_ca_cert_file{};
};

struct ChannelDefinitions {
  std::vector<ChannelDefinition> channels;
  std::optional<OrdererDefinition> orderer;
  std::string source;  // file path or source name

  const ChannelDefinition* find(std::string_view channel) const;
};

// Loads and validates a channel definitions file, reading every CA certificate
// file. Checks the PEM framing only; X.509 validation is crypto's job. Throws
// ConfigError as above.
ChannelDefinitions load_channel_definitions_file(const std::filesystem::path& path);
// As above; relative ca_cert paths are taken from base_dir.
ChannelDefinitions load_channel_definitions_string(std::string_view yaml_text,
                                                   std::string_view source_name,
                                                   const std::filesystem::path& base_dir);

// The YAML text of `definitions`: an org with a ca_cert_file gets that path,
// relative to base_dir where possible; one without gets its PEM inline.
std::string format_channel_definitions(const ChannelDefinitions& definitions,
                                       const std::filesystem::path& base_dir);

// Writes format_channel_definitions(definitions, file's directory) to `file`.
// Throws ConfigError if it cannot be written.
void write_channel_definitions(const ChannelDefinitions& definitions,
                               const std::filesystem::path& file);

}  // namespace fabnet::config
