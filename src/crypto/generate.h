#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fabnet::crypto {

// The orgs and peers to create crypto material for.
struct NetworkSpec {
  struct Org;
  NetworkSpec() = default;
  // Keeps NetworkSpec{{org, ...}} working now that the orderer is optional.
  NetworkSpec(std::vector<Org> peer_orgs, std::optional<Org> orderer_org = std::nullopt)
      : orgs(std::move(peer_orgs)), orderer(std::move(orderer_org)) {}
  struct Org {
    std::string name;                // e.g. Org1
    std::string msp_id;              // e.g. Org1MSP
    std::string domain;              // e.g. org1.example.com
    std::vector<std::string> peers;  // e.g. peer0, peer1
  };
  std::vector<Org> orgs;
  // The ordering service's org; its `peers` are the orderer host names.
  std::optional<Org> orderer;
};

// How long generated certificates stay valid (cryptogen's 3650 days).
inline constexpr std::chrono::hours kCertificateLifetime{24 * 3650};

// Writes, for every org, a self-signed CA (ECDSA P-256, CA:TRUE, keyCertSign) and
// for every peer a P-256 key and a certificate signed by that CA, in cryptogen's
// layout under `out`:
//   peerOrganizations/<domain>/ca/{ca.<domain>-cert.pem, priv_sk}
//   peerOrganizations/<domain>/msp/cacerts/ca.<domain>-cert.pem
//   peerOrganizations/<domain>/peers/<peer>.<domain>/msp/
//       signcerts/<peer>.<domain>-cert.pem, keystore/priv_sk, cacerts/ca.<domain>-cert.pem
// Each peer org also gets a client identity (cryptogen's User1):
//   peerOrganizations/<domain>/users/User1@<domain>/msp/...
// and the orderer org, if any, the same layout under ordererOrganizations/:
//   ordererOrganizations/<domain>/{ca, msp, orderers/<host>.<domain>/msp}
// Keys are PKCS#8 PEM files with mode 0600. Certificates are valid from
// `valid_from` for kCertificateLifetime and their ECDSA signatures are low-S, as
// Fabric's own signer makes them. Throws CryptoError for an invalid spec, an org
// folder that already exists, or a file that cannot be written.
void generate_crypto_material(const NetworkSpec& spec, const std::filesystem::path& out,
                              std::chrono::system_clock::time_point valid_from);

// As above, valid from an hour ago so that hosts whose clocks lag a little do
// not see fresh certificates as not yet valid. Reads the wall clock.
void generate_crypto_material(const NetworkSpec& spec, const std::filesystem::path& out);

// Where generate_crypto_material puts things.
std::filesystem::path org_folder(const std::filesystem::path& out, const NetworkSpec::Org& org);
std::filesystem::path peer_msp_folder(const std::filesystem::path& out, const NetworkSpec::Org& org,
                                      std::string_view peer);
std::filesystem::path ca_certificate_file(const std::filesystem::path& out,
                                          const NetworkSpec::Org& org);
// users/User1@<domain>/msp of a peer org: a client identity (tx broadcast, fetch).
std::filesystem::path user_msp_folder(const std::filesystem::path& out,
                                      const NetworkSpec::Org& org);
// The orderer org's folder, CA certificate and an orderer host's MSP folder.
std::filesystem::path orderer_org_folder(const std::filesystem::path& out,
                                         const NetworkSpec::Org& orderer);
std::filesystem::path orderer_ca_certificate_file(const std::filesystem::path& out,
                                                  const NetworkSpec::Org& orderer);
std::filesystem::path orderer_msp_folder(const std::filesystem::path& out,
                                         const NetworkSpec::Org& orderer, std::string_view host);

}  // namespace fabnet::crypto
