#pragma once

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "crypto/certificate.h"
#include "crypto/result.h"
#include "crypto/signer.h"

namespace fabnet::crypto {

// Fabric's NodeOU roles (msp/config.yaml NodeOUs). kMember: an identity of an
// org whose MSP does not classify identities (NodeOUs off or unknown).
enum class NodeRole { kMember, kClient, kPeer, kAdmin, kOrderer };
std::string_view to_string(NodeRole role);

// A set of roles, e.g. Roles{NodeRole::kClient, NodeRole::kAdmin}.
class Roles {
 public:
  constexpr Roles(std::initializer_list<NodeRole> roles) {
    for (NodeRole role : roles) bits_ |= 1u << static_cast<unsigned>(role);
  }
  constexpr bool has(NodeRole role) const { return (bits_ >> static_cast<unsigned>(role)) & 1u; }
  std::string describe() const;  // "peer", "client, admin or peer"

 private:
  unsigned bits_ = 0;
};

// An MSP's NodeOUs: the OU value that marks each role. A role whose identifier
// config.yaml leaves out is never assigned, as in Fabric. The identifiers'
// Certificate restriction is checked when the MSP is loaded from a folder (the
// file must exist) but not per identity: every CA of the org may issue any role.
struct NodeOUs {
  bool enable = false;
  std::string client_ou = "client";
  std::string peer_ou = "peer";
  std::string admin_ou = "admin";
  std::string orderer_ou = "orderer";
};

// This peer's signing identity, from a Fabric-style local MSP folder.
struct LocalMsp {
  std::string msp_id;                        // peer.localMspId
  Certificate signing_certificate;           // signcerts/
  Signer signer;                             // the keystore/ key of that certificate
  std::vector<Certificate> ca_certificates;  // cacerts/
  // serialize_identity(msp_id, signing_certificate.pem()): the certificate is
  // re-encoded from DER as Fabric's Serialize does, whatever the file's layout.
  std::string identity;
  // config.yaml's NodeOUs (nullopt without config.yaml or without NodeOUs in it)
  // and the signing identity's role under them (kMember when not enabled).
  std::optional<NodeOUs> node_ous{};
  NodeRole role = NodeRole::kMember;
  std::vector<Certificate> tls_ca_certificates{};  // tlscacerts/ (may be empty)
};

// Loads the MSP folder `msp_dir` (peer.mspConfigPath) as Fabric's cryptogen or a
// Fabric CA client writes it: exactly one certificate in signcerts/, a PKCS#8 PEM
// private key for it anywhere in keystore/ (any file name, e.g. priv_sk), at
// least one certificate in cacerts/, and the signing certificate issued by one of
// them (validity dates are not checked here); intermediatecerts/ (optional) extends
// the chain, tlscacerts/ is read, admincerts/ is not needed. An optional
// config.yaml with NodeOUs (Enable, ClientOUIdentifier, PeerOUIdentifier,
// AdminOUIdentifier, OrdererOUIdentifier, each {Certificate,
// OrganizationalUnitIdentifier}) classifies the signing identity; with NodeOUs
// enabled it must carry exactly one role OU. Throws CryptoError naming the path
// (and key) and what was expected.
LocalMsp load_local_msp(const std::filesystem::path& msp_dir, std::string_view msp_id);

// NodeOUs of msp/config.yaml text (nullopt when it has no NodeOUs section).
// `msp_dir` resolves the identifiers' Certificate paths, which must exist.
// Throws CryptoError naming `where` and the key.
std::optional<NodeOUs> parse_node_ous(std::string_view config_yaml, std::string_view where,
                                      const std::filesystem::path& msp_dir);

// The role of `certificate` in an org with `node_ous`: nullopt means the org does
// not classify (no NodeOUs known) and the certificate carries none of the
// standard role OUs (client, peer, admin, orderer) either: a plain member.
// Otherwise the one role OU it carries, or an error when it carries none or
// several (Fabric: "the identity must be a client, a peer, an orderer or an
// admin identity to be valid, not a combination of them").
Result<NodeRole> classify(const Certificate& certificate, const std::optional<NodeOUs>& node_ous);

// Refuses `msp` unless its signing identity has one of `accepted` roles
// (kMember in `accepted` admits an unclassified identity). The message names
// the certificate, its role and config.yaml.
Status check_local_role(const LocalMsp& msp, Roles accepted);

// Decides whether a peer identity belongs to the org it claims: its certificate
// passes the well-formedness check (protocol.md §2.4), is not a CA, chains to a
// CA certificate of that org and, like every certificate of the chain, is within
// its validity period at the given time (protocol.md §3.1). Immutable after
// construction; validate() may run on several threads.
//
// Roles (NodeOUs, as Fabric's MSP classifies identities): an org's NodeOUs are
// given (from its MSP's config.yaml or a config block's FabricNodeOUs) or
// unknown. Given and enabled: an identity must carry exactly one role OU to be
// valid at all. Unknown (channels.yaml): an identity carrying one of the
// standard role OUs has that role, one carrying none is a plain member.
// validate() with accepted roles then refuses an identity of another role;
// a plain member passes every role check (membership is all that can be told).
class IdentityValidator {
 public:
  // MSP ID → PEM texts of that org's CA certificates (each may hold several).
  using CaCertificates = std::map<std::string, std::vector<std::string>, std::less<>>;
  struct OrgMsp {
    std::vector<std::string> ca_pems;
    std::optional<NodeOUs> node_ous;  // nullopt: unknown
  };
  using Orgs = std::map<std::string, OrgMsp, std::less<>>;

  // Throws CryptoError naming the org when one of its CA PEMs does not parse or
  // it has none.
  explicit IdentityValidator(const CaCertificates& ca_pems_by_msp);
  explicit IdentityValidator(const Orgs& orgs);

  Status validate(std::string_view serialized_identity,
                  std::chrono::system_clock::time_point at) const;
  // As above, and the identity's role must be one of `accepted` (or a plain member).
  Status validate(std::string_view serialized_identity, std::chrono::system_clock::time_point at,
                  Roles accepted) const;
  bool knows(std::string_view msp_id) const { return orgs_.contains(msp_id); }

  // When every certificate of an identity's chain is valid.
  struct ValidityWindow {
    std::chrono::system_clock::time_point from, until;
  };

 private:
  static constexpr std::size_t kMaxCachedIdentities = 4096;
  struct Valid {
    NodeRole role;
    ValidityWindow window;
  };
  struct Org {
    std::shared_ptr<X509_STORE> store;
    std::optional<NodeOUs> node_ous;
  };
  Result<NodeRole> checked(std::string_view serialized_identity,
                           std::chrono::system_clock::time_point at) const;
  Result<NodeRole> checked_uncached(std::string_view serialized_identity,
                                    std::chrono::system_clock::time_point at,
                                    ValidityWindow& window) const;
  std::map<std::string, Org, std::less<>> orgs_;
  // Identities that passed, for the span their chain is valid; safe across threads
  // (the orderer checks envelopes on a worker pool).
  mutable std::mutex cache_mutex_;
  mutable std::map<std::string, Valid, std::less<>> valid_;
};

// Roles Fabric's default policies admit (fabric-samples' configtx.yaml): gossip
// peers are peers; Broadcast takes Writers (client, admin; fabnet also peer);
// blocks are signed by orderers.
inline constexpr Roles kGossipPeerRoles{NodeRole::kPeer};
inline constexpr Roles kBroadcastRoles{NodeRole::kClient, NodeRole::kAdmin, NodeRole::kPeer};
inline constexpr Roles kBlockSignerRoles{NodeRole::kOrderer};

}  // namespace fabnet::crypto
