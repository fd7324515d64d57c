#pragma once

#include <chrono>
#include <filesystem>
#include <map>
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
    // Client identities User1..User<users> (cryptogen's Users.Count); peer orgs only,
    // as cryptogen gives the orderer org an Admin alone.
    std::size_t users = 1;
    // Extra TLS subject alternative names of every host (cryptogen's Template.SANS),
    // and of single hosts (Specs[].SANS, by host name). "{{.Hostname}}", "{{.Domain}}"
    // and "{{.CommonName}}" are replaced as cryptogen's templates do.
    std::vector<std::string> sans{};
    std::map<std::string, std::vector<std::string>, std::less<>> host_sans{};
    // NodeOUs (cryptogen's EnableNodeOUs): OU=peer/orderer/client/admin in the
    // subjects and config.yaml in every MSP folder. Without them cryptogen copies
    // Admin@<domain>'s certificate into admincerts/ instead.
    bool node_ous = true;
  };
  std::vector<Org> orgs;
  // The ordering service's org; its `peers` are the orderer host names.
  std::optional<Org> orderer;
};

// How long generated certificates stay valid (cryptogen's 3650 days).
inline constexpr std::chrono::hours kCertificateLifetime{24 * 3650};

// Writes what Fabric's cryptogen writes (v2.4, EnableNodeOUs: true), under `out`:
//   peerOrganizations/<domain>/
//     ca/{ca.<domain>-cert.pem, priv_sk}          the org's signing CA
//     tlsca/{tlsca.<domain>-cert.pem, priv_sk}    a separate CA for TLS
//     msp/{cacerts,tlscacerts,admincerts,config.yaml}   the org's verifying MSP
//     peers/<peer>.<domain>/msp/{signcerts,keystore/priv_sk,cacerts,tlscacerts,
//                                admincerts,config.yaml}
//     peers/<peer>.<domain>/tls/{ca.crt,server.crt,server.key}
//     users/{Admin,User1..N}@<domain>/msp/...  and  tls/{ca.crt,client.crt,client.key}
//   ordererOrganizations/<domain>/ the same with orderers/<host>.<domain>/ and
//     users/Admin@<domain> only.
// All keys are ECDSA P-256, PKCS#8 PEM files with mode 0600. Subjects are
// C=US, ST=California, L=San Francisco[, OU=<role>], CN=<name>, with CAs also
// O=<domain>; the OU is the NodeOU role (peer, orderer, client, admin) when
// node_ous is set. config.yaml enables NodeOUs with the org's CA certificate.
// TLS certificates (serverAuth and clientAuth) name, for hosts, the full host name,
// the short host name, localhost, 127.0.0.1 (so loopback networks work) and the
// org's extra SANs. Certificates are valid from `valid_from` for
// kCertificateLifetime and their ECDSA signatures are low-S, as Fabric's own
// signer makes them. Throws CryptoError for an invalid spec, an org folder that
// already exists, or a file that cannot be written.
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

// A host's or user's TLS files (the tls/ folder beside its msp/).
struct TlsFiles {
  std::filesystem::path ca_certificate;  // tls/ca.crt: the org's TLS CA certificate
  std::filesystem::path certificate;     // tls/server.crt (hosts) or tls/client.crt (users)
  std::filesystem::path key;             // tls/server.key or tls/client.key
};

// The org's TLS CA (tlsca/) and the key files of both CAs (priv_sk).
std::filesystem::path tls_ca_certificate_file(const std::filesystem::path& out,
                                              const NetworkSpec::Org& org);
std::filesystem::path ca_key_file(const std::filesystem::path& out, const NetworkSpec::Org& org);
std::filesystem::path tls_ca_key_file(const std::filesystem::path& out,
                                      const NetworkSpec::Org& org);
std::filesystem::path orderer_tls_ca_certificate_file(const std::filesystem::path& out,
                                                      const NetworkSpec::Org& orderer);
std::filesystem::path orderer_tls_ca_key_file(const std::filesystem::path& out,
                                              const NetworkSpec::Org& orderer);
// A peer's and an orderer host's tls/ files (server.crt, server.key).
TlsFiles peer_tls_files(const std::filesystem::path& out, const NetworkSpec::Org& org,
                        std::string_view peer);
TlsFiles orderer_tls_files(const std::filesystem::path& out, const NetworkSpec::Org& orderer,
                           std::string_view host);
// users/User<n>@<domain> (n from 1) and users/Admin@<domain> of a peer org:
// msp/ folders and tls/ files (client.crt, client.key).
std::filesystem::path user_msp_folder(const std::filesystem::path& out, const NetworkSpec::Org& org,
                                      std::size_t n);
TlsFiles user_tls_files(const std::filesystem::path& out, const NetworkSpec::Org& org,
                        std::size_t n = 1);
std::filesystem::path admin_msp_folder(const std::filesystem::path& out,
                                       const NetworkSpec::Org& org);
TlsFiles admin_tls_files(const std::filesystem::path& out, const NetworkSpec::Org& org);
// users/Admin@<domain> of the orderer org.
std::filesystem::path orderer_admin_msp_folder(const std::filesystem::path& out,
                                               const NetworkSpec::Org& orderer);
TlsFiles orderer_admin_tls_files(const std::filesystem::path& out, const NetworkSpec::Org& orderer);

// A certificate and its private key, both PEM (the key PKCS#8).
struct IssuedCertificate {
  std::string certificate_pem;
  std::string key_pem;
};

// What to put into a certificate issued by issue_certificate().
struct CertificateRequest {
  std::string common_name;
  std::vector<std::string> organizational_units;  // e.g. {"peer"} for a NodeOU role
  // DNS names, or IP addresses (anything that parses as IPv4/IPv6).
  std::vector<std::string> sans;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  // TLS: keyEncipherment and extended key usage serverAuth + clientAuth, as
  // cryptogen's TLS certificates; otherwise a signing (MSP) certificate.
  bool tls = true;
};

// A fresh P-256 key and a certificate for it signed by `ca` (a CA certificate and
// its PKCS#8 key, e.g. read from tlsca/). For tests and tools: certificates from a
// foreign CA, expired ones, other SANs. Throws CryptoError for an unreadable CA.
IssuedCertificate issue_certificate(const IssuedCertificate& ca, const CertificateRequest& request);
// As above with the CA read from files, e.g. tls_ca_certificate_file() and
// tls_ca_key_file().
IssuedCertificate issue_certificate(const std::filesystem::path& ca_certificate_file,
                                    const std::filesystem::path& ca_key_file,
                                    const CertificateRequest& request);
// A new self-signed CA: subject C=US, ST=California, L=San Francisco,
// O=<organization>, CN=<common_name>, valid for kCertificateLifetime.
IssuedCertificate make_certificate_authority(std::string_view common_name,
                                             std::string_view organization,
                                             std::chrono::system_clock::time_point valid_from);
// Writes the certificate (mode 0644) and key (0600), creating their folders.
void write_certificate_and_key(const IssuedCertificate& issued,
                               const std::filesystem::path& certificate_file,
                               const std::filesystem::path& key_file);

}  // namespace fabnet::crypto
