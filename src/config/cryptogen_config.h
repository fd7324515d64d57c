#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "config/core_config.h"  // ConfigError
#include "crypto/generate.h"     // NetworkSpec (a plain struct; no link dependency)

namespace fabnet::config {

// Fabric cryptogen's own input, crypto-config.yaml, as `cryptogen generate
// --config` reads it:
//   OrdererOrgs:
//     - Name: Orderer
//       Domain: example.com
//       EnableNodeOUs: true            # default false, as in cryptogen
//       Specs: [{Hostname: orderer, SANS: [localhost]}]
//   PeerOrgs:
//     - Name: Org1
//       Domain: org1.example.com
//       EnableNodeOUs: true
//       Template: {Count: 2, Start: 0, Hostname: "{{.Prefix}}{{.Index}}", SANS: [localhost]}
//       Specs: [{Hostname: foo, CommonName: "{{.Hostname}}.{{.Domain}}", SANS: [...]}]
//       Users: {Count: 1}
// The MSP ID of an org (which cryptogen leaves to configtx.yaml) is <Name>MSP, as
// in fabric-samples (Org1MSP, OrdererMSP). fabnet runs one ordering service org,
// so OrdererOrgs has at most one entry. A CA section may only restate
// cryptogen's defaults (Hostname: ca); a Spec's CommonName only the default
// {{.Hostname}}.{{.Domain}}: other subjects are not generated.
struct CryptogenConfig {
  crypto::NetworkSpec spec;
  std::string source;
};

// True when the YAML text's top level is a mapping with OrdererOrgs or PeerOrgs
// (cryptogen's format) rather than fabnet's NETWORK.yaml; false for text that
// does not parse (the NETWORK.yaml loader then reports the error).
bool is_cryptogen_config(std::string_view yaml_text);

// Loads and validates crypto-config.yaml. Throws ConfigError naming the key path
// (e.g. PeerOrgs[0].Template.Count), the value and what was expected; unknown
// keys too.
CryptogenConfig load_cryptogen_config_string(std::string_view yaml_text,
                                             std::string_view source_name);
CryptogenConfig load_cryptogen_config_file(const std::filesystem::path& path);

}  // namespace fabnet::config
