#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "election/election_config.h"

namespace fabnet::config {

// Any problem with the peer configuration. what() is one complete sentence for a
// human: "<source>[:line]: <key>: <problem>; expected <expectation>". The parts are
// also kept separately; key() and value() are empty for file-level problems.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string source, std::string key, std::string value, std::string problem,
              std::string expected);

  const std::string& source() const { return source_; }  // file path, env var or source name
  const std::string& key() const { return key_; }        // dotted path, e.g. peer.gossip.orgLeader
  const std::string& value() const { return value_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string source_;
  std::string key_;
  std::string value_;
  std::string expected_;
};

// Environment variables by name; only CORE_* entries matter to the loader.
using Environment = std::map<std::string, std::string>;

// Snapshot of the process environment, restricted to CORE_* entries.
Environment process_environment();

struct GossipSettings {
  bool use_leader_election = false;    // peer.gossip.useLeaderElection
  bool org_leader = false;             // peer.gossip.orgLeader
  election::ElectionTimings election;  // peer.gossip.election.*
  std::chrono::nanoseconds alive_time_interval{std::chrono::seconds(5)};
  std::chrono::nanoseconds alive_expiration_timeout{std::chrono::seconds(25)};
  std::chrono::nanoseconds reconnect_interval{std::chrono::seconds(25)};
  // Further peer.gossip.* keys of protocol.md §11 (Fabric's code defaults).
  std::chrono::nanoseconds pull_interval{std::chrono::seconds(4)};  // pullInterval
  std::chrono::nanoseconds publish_state_info_interval{
      std::chrono::seconds(4)};  // publishStateInfoInterval
  std::chrono::nanoseconds request_state_info_interval{
      std::chrono::seconds(4)};  // requestStateInfoInterval
  std::chrono::nanoseconds publish_cert_period{std::chrono::seconds(10)};  // publishCertPeriod
  std::chrono::nanoseconds dial_timeout{std::chrono::seconds(3)};          // dialTimeout
  std::chrono::nanoseconds conn_timeout{std::chrono::seconds(2)};          // connTimeout
  int pull_peer_num = 3;                                                   // pullPeerNum
  int propagate_peer_num = 3;                                              // propagatePeerNum
  // Block pull (protocol.md §10.3).
  std::chrono::nanoseconds digest_wait_time{std::chrono::seconds(1)};           // digestWaitTime
  std::chrono::nanoseconds request_wait_time{std::chrono::milliseconds(1500)};  // requestWaitTime
  std::chrono::nanoseconds response_wait_time{std::chrono::seconds(2)};         // responseWaitTime
  int max_block_count_to_store = 10;  // maxBlockCountToStore
  // Push batching (protocol.md §5.3).
  int max_propagation_burst_size = 10;  // maxPropagationBurstSize
  std::chrono::nanoseconds max_propagation_burst_latency{
      std::chrono::milliseconds(10)};  // maxPropagationBurstLatency
  // State transfer and the commit buffer: peer.gossip.state.* (protocol.md §10.4).
  // enabled defaults to true here; Fabric v2.4.9's code and sample file say false
  // (docs/operations.md says why fabnet differs). A file that sets it is honoured.
  bool state_enabled = true;                                                // state.enabled
  std::chrono::nanoseconds state_check_interval{std::chrono::seconds(10)};  // state.checkInterval
  std::chrono::nanoseconds state_response_timeout{
      std::chrono::seconds(3)};        // state.responseTimeout
  int state_batch_size = 10;           // state.batchSize
  int state_block_buffer_size = 20;    // state.blockBufferSize
  int state_max_retries = 3;           // state.maxRetries
  int send_buff_size = 20;             // sendBuffSize (Fabric's sample core.yaml sets 200)
  int recv_buff_size = 20;             // recvBuffSize
  std::vector<std::string> bootstrap;  // peer.gossip.bootstrap
  std::string endpoint;                // peer.gossip.endpoint ("" = unset)
  std::string external_endpoint;       // peer.gossip.externalEndpoint ("" = unset)

  // Throws ConfigError if both flags are set (the loader never returns that).
  election::LeaderMode leader_mode() const;
};

// peer.deliveryclient.addressOverrides entry: an orderer endpoint named in the channel
// definitions (`from`) is dialled at `to` instead.
struct OrdererAddressOverride {
  std::string from;
  std::string to;
  std::string ca_certs_file;  // caCertsFile; kept for Fabric compatibility, unused (no TLS)
};

// peer.deliveryclient.*: the leader's deliver client (protocol.md §10.1, §11.2).
struct DeliveryClientSettings {
  std::chrono::nanoseconds reconnect_total_time_threshold{
      std::chrono::seconds(3600)};  // reconnectTotalTimeThreshold
  std::chrono::nanoseconds reconnect_backoff_threshold{
      std::chrono::seconds(3600)};                                 // reConnectBackoffThreshold
  std::chrono::nanoseconds conn_timeout{std::chrono::seconds(3)};  // connTimeout
  bool block_gossip_enabled = true;  // blockGossipEnabled (code default; v3's core.yaml: false)
  std::vector<OrdererAddressOverride> address_overrides;  // addressOverrides (YAML list only)

  // `endpoint` after addressOverrides.
  std::string resolve(const std::string& endpoint) const;
};

// peer.tls.*: TLS of the gossip server and client and of the deliver client
// (protocol.md §1.1, §3.4). Paths are as written; the daemon resolves relative ones
// against core.yaml's folder.
struct PeerTlsSettings {
  bool enabled = false;                      // enabled
  bool client_auth_required = false;         // clientAuthRequired
  std::string cert_file;                     // cert.file: this peer's TLS server certificate
  std::string key_file;                      // key.file
  std::string root_cert_file;                // rootcert.file: trusted when dialling
  std::vector<std::string> client_root_cas;  // clientRootCAs.files: trusted for clients
  std::string client_cert_file;              // clientCert.file ("" = the server certificate)
  std::string client_key_file;               // clientKey.file ("" = the server key)
  // Where `enabled` came from ("" = default), for messages.
  std::string enabled_from;
};

// operations.tls.*: the operations endpoint over HTTPS.
struct OperationsTlsSettings {
  bool enabled = false;                      // enabled
  bool client_auth_required = false;         // clientAuthRequired
  std::string cert_file;                     // cert.file
  std::string key_file;                      // key.file
  std::vector<std::string> client_root_cas;  // clientRootCAs.files
};

struct CoreConfig {
  std::string peer_id;                    // peer.id
  std::string network_id;                 // peer.networkId
  std::string listen_address;             // peer.listenAddress
  std::string address;                    // peer.address
  std::string local_msp_id;               // peer.localMspId
  std::string msp_config_path;            // peer.mspConfigPath
  std::string operations_listen_address;  // operations.listenAddress
  // peer.fileSystemPath: ledgers live under <this>/ledgersData/chains, as in Fabric.
  std::string file_system_path = "/var/hyperledger/production";
  GossipSettings gossip;
  DeliveryClientSettings delivery_client;
  PeerTlsSettings tls;                   // peer.tls.*
  OperationsTlsSettings operations_tls;  // operations.tls.*
  std::string source;                    // file path, source name, or "<defaults>"
  // metrics.provider: "prometheus" (GET /metrics on the operations endpoint) or
  // "disabled" (no /metrics); statsd is refused. Unset: prometheus, as fabnet
  // always served it (Fabric's sample core.yaml says disabled).
  std::string metrics_provider = "prometheus";
  // Keys of the file that fabnet does not use (chaincode, ledger, vm, peer.BCCSP,
  // ...): accepted as Fabric's core.yaml has them, reported in one debug line.
  std::vector<std::string> ignored_keys;
};

// Top-level sections and peer.* keys fabnet reads from core.yaml (ignored_keys
// lists the others).
bool is_used_core_key(std::string_view dotted_key);

// Loads core.yaml, applies CORE_* overrides from env, validates. Throws ConfigError.
CoreConfig load_core_config_file(const std::filesystem::path& path, const Environment& env);
CoreConfig load_core_config_string(std::string_view yaml_text, const Environment& env,
                                   std::string_view source_name);

// Fabric's code defaults, as if core.yaml were empty and no CORE_* variable set.
CoreConfig default_core_config();

// Where Fabric's peer and orderer find their file when no path is given:
// `file_name` in the folder $FABRIC_CFG_PATH names (`fabric_cfg_path`, null when
// unset), else in the working directory. Throws ConfigError naming the places tried.
std::filesystem::path find_config_file(std::string_view file_name, const char* fabric_cfg_path);

}  // namespace fabnet::config
