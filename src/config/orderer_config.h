#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/core_config.h"  // ConfigError, Environment

namespace fabnet::config {

// The orderer.yaml keys fabnet's ordering service reads, with Fabric's sample
// defaults. Every key may be overridden by ORDERER_<KEY PATH> (Fabric's rule:
// upper case, '.' -> '_'), e.g. ORDERER_GENERAL_LISTENPORT=7050.
struct OrdererConfig {
  std::string listen_address = "127.0.0.1";  // General.ListenAddress
  std::uint16_t listen_port = 7050;          // General.ListenPort (0 = any free port)
  std::string local_msp_dir = "msp";         // General.LocalMSPDir (relative to the file)
  std::string local_msp_id = "SampleOrg";    // General.LocalMSPID
  std::chrono::nanoseconds time_window{
      std::chrono::minutes(15)};  // General.Authentication.TimeWindow
  std::string file_ledger_location = "/var/hyperledger/production/orderer";  // FileLedger.Location
  std::string operations_listen_address = "127.0.0.1:8443";  // Operations.ListenAddress ("" = off)
  std::string source;  // file path, source name, or "<defaults>"
  // Metrics.Provider: "prometheus" (GET /metrics) or "disabled"; statsd is refused.
  std::string metrics_provider = "prometheus";

  // General.TLS.* (the AtomicBroadcast server) and Operations.TLS.* (the operations
  // endpoint); paths relative to the file's folder (resolve()).
  struct Tls {
    bool enabled = false;                      // Enabled
    std::string private_key;                   // PrivateKey
    std::string certificate;                   // Certificate
    std::vector<std::string> root_cas;         // RootCAs
    bool client_auth_required = false;         // ClientAuthRequired
    std::vector<std::string> client_root_cas;  // ClientRootCAs
  };
  Tls tls;             // General.TLS
  Tls operations_tls;  // Operations.TLS (RootCAs unused)
  // `path` resolved against the directory of `source` when relative.
  std::filesystem::path resolve_path(const std::string& path) const;

  // General.LocalMSPDir resolved against the directory of `source` when relative.
  std::filesystem::path msp_dir() const;
  // FileLedger.Location resolved likewise.
  std::filesystem::path ledger_dir() const;
};

// ORDERER_* entries of the process environment.
Environment orderer_environment();

// Loads orderer.yaml, applies ORDERER_* overrides, validates. Throws ConfigError
// naming the key, the value and what was expected. Keys match case-insensitively
// (as viper does); keys fabnet does not use are ignored, like Fabric's own
// orderer.yaml sections fabnet has no use for.
OrdererConfig load_orderer_config_file(const std::filesystem::path& path, const Environment& env);
OrdererConfig load_orderer_config_string(std::string_view yaml_text, const Environment& env,
                                         std::string_view source_name);

}  // namespace fabnet::config
