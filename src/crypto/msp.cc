#include "crypto/msp.h"

#include <algorithm>
#include <ctime>
#include <optional>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/x509_vfy.h>
#include <yaml-cpp/yaml.h>

#include "crypto/error.h"
#include "crypto/files.h"
#include "crypto/identity.h"
#include "crypto/openssl_handles.h"

namespace fabnet::crypto {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kExpectMspFolder =
    "signcerts/, keystore/ and cacerts/ (a Fabric MSP folder, peer.mspConfigPath)";
constexpr std::string_view kExpectCertificate =
    "PEM certificates (\"-----BEGIN CERTIFICATE-----\")";
constexpr std::string_view kExpectKey =
    "the PKCS#8 PEM private key (\"-----BEGIN PRIVATE KEY-----\", e.g. priv_sk) of the "
    "certificate in signcerts/";

std::shared_ptr<X509_STORE> make_store(const std::vector<Certificate>& cas) {
  detail::X509StorePtr store(X509_STORE_new());
  if (!store) throw std::bad_alloc();
  for (const Certificate& ca : cas) {
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1) detail::take_openssl_errors();  // dup
  }
  return std::shared_ptr<X509_STORE>(store.release(), X509_STORE_free);
}

// X509_verify_cert against `store`, at `at` or ignoring dates when nullopt.
// Returns the OpenSSL reason on failure, "" on success; on success `window`, when
// given, receives the span in which every certificate of the chain is valid.
std::string chain_problem(X509_STORE* store, const Certificate& certificate,
                          std::optional<std::chrono::system_clock::time_point> at,
                          IdentityValidator::ValidityWindow* window = nullptr) {
  detail::X509StoreCtxPtr context(X509_STORE_CTX_new());
  if (!context || X509_STORE_CTX_init(context.get(), store, certificate.get(), nullptr) != 1) {
    return "verifier setup failed: " + detail::take_openssl_errors();
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  if (at) {
    X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(*at));
  } else {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  }
  const int verdict = X509_verify_cert(context.get());
  detail::take_openssl_errors();
  if (verdict != 1) return X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
  // Fabric wants a chain of at least two: the identity itself is never a root.
  const STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(context.get());
  if (sk_X509_num(chain) < 2) return "the certificate is itself a trusted CA certificate";
  if (window) {
    window->from = std::chrono::system_clock::time_point::min();
    window->until = std::chrono::system_clock::time_point::max();
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* link = sk_X509_value(chain, i);
      window->from = std::max(window->from, time_point_of(X509_get0_notBefore(link)));
      window->until = std::min(window->until, time_point_of(X509_get0_notAfter(link)));
    }
  }
  return "";
}

std::vector<Certificate> certificates_in(const fs::path& dir) {
  std::vector<Certificate> certificates;
  for (const fs::path& file : detail::files_in(dir, kExpectCertificate)) {
    auto parsed = Certificate::all_from_pem(detail::read_file(file));
    if (!parsed) throw CryptoError(file.string(), parsed.error(), std::string(kExpectCertificate));
    for (Certificate& certificate : parsed.value()) certificates.push_back(std::move(certificate));
  }
  return certificates;
}

// Certificates of a folder the MSP may lack (intermediatecerts/, tlscacerts/).
std::vector<Certificate> optional_certificates_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  return certificates_in(dir);
}

std::vector<std::string> organizational_units(const Certificate& certificate) {
  std::vector<std::string> units;
  const X509_NAME* name = X509_get_subject_name(certificate.get());
  for (int i = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, i)) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    units.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                       static_cast<std::size_t>(ASN1_STRING_length(data)));
  }
  return units;
}

Certificate signing_certificate_in(const fs::path& dir) {
  std::vector<Certificate> found = certificates_in(dir);
  if (found.size() != 1) {
    throw CryptoError(dir.string(), fmt::format("holds {} certificates", found.size()),
                      "exactly one PEM certificate: this peer's signing certificate");
  }
  return found.front();
}

Signer signer_in(const fs::path& dir, const Certificate& certificate) {
  const std::vector<fs::path> files = detail::files_in(dir, kExpectKey);
  if (files.empty()) throw CryptoError(dir.string(), "is empty", std::string(kExpectKey));
  std::string unreadable;
  for (const fs::path& file : files) {
    auto signer = Signer::from_pkcs8_pem(detail::read_file(file));
    if (signer && signer->matches(certificate)) return std::move(signer).value();
    if (!signer) unreadable += fmt::format("; {} {}", file.filename().string(), signer.error());
  }
  throw CryptoError(
      dir.string(),
      fmt::format("no key matches the signing certificate {}{}", certificate.subject(), unreadable),
      std::string(kExpectKey));
}

}  // namespace

LocalMsp load_local_msp(const fs::path& msp_dir, std::string_view msp_id) {
  if (msp_id.empty()) {
    throw CryptoError("peer.localMspId", "is empty", "the MSP ID of this peer's org, e.g. Org1MSP");
  }
  detail::require_directory(msp_dir, kExpectMspFolder);  // before any subfolder's error
  Certificate certificate = signing_certificate_in(msp_dir / "signcerts");
  Signer signer = signer_in(msp_dir / "keystore", certificate);
  std::vector<Certificate> cas = certificates_in(msp_dir / "cacerts");
  if (cas.empty()) {
    throw CryptoError((msp_dir / "cacerts").string(), "holds no certificate",
                      "the PEM certificate of this org's CA");
  }
  std::vector<Certificate> chain = cas;
  for (Certificate& c : optional_certificates_in(msp_dir / "intermediatecerts")) chain.push_back(c);
  const std::shared_ptr<X509_STORE> store = make_store(chain);
  if (std::string problem = chain_problem(store.get(), certificate, std::nullopt);
      !problem.empty()) {
    throw CryptoError((msp_dir / "signcerts").string(),
                      fmt::format("certificate {} does not chain to cacerts/: {}",
                                  certificate.subject(), problem),
                      "a certificate issued by this org's CA");
  }
  std::string identity = serialize_identity(msp_id, certificate.pem());
  std::optional<NodeOUs> node_ous;
  const fs::path config_file = msp_dir / "config.yaml";
  std::error_code ec;
  if (fs::exists(config_file, ec)) {
    node_ous = parse_node_ous(detail::read_file(config_file), config_file.string(), msp_dir);
  }
  NodeRole role = NodeRole::kMember;
  if (node_ous && node_ous->enable) {
    auto classified = classify(certificate, node_ous);
    if (!classified) {
      throw CryptoError(
          (msp_dir / "signcerts").string(),
          fmt::format("certificate {}: {}", certificate.subject(), classified.error()),
          fmt::format("a certificate with one role OU of {}", config_file.string()));
    }
    role = *classified;
  }
  LocalMsp msp{std::string(msp_id), std::move(certificate), std::move(signer), std::move(cas),
               std::move(identity)};
  msp.node_ous = std::move(node_ous);
  msp.role = role;
  msp.tls_ca_certificates = optional_certificates_in(msp_dir / "tlscacerts");
  return msp;
}

std::string_view to_string(NodeRole role) {
  switch (role) {
    case NodeRole::kMember:
      return "member";
    case NodeRole::kClient:
      return "client";
    case NodeRole::kPeer:
      return "peer";
    case NodeRole::kAdmin:
      return "admin";
    case NodeRole::kOrderer:
      return "orderer";
  }
  return "?";
}

std::string Roles::describe() const {
  std::vector<std::string_view> names;
  for (NodeRole role : {NodeRole::kMember, NodeRole::kClient, NodeRole::kPeer, NodeRole::kAdmin,
                        NodeRole::kOrderer}) {
    if (has(role)) names.push_back(to_string(role));
  }
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += names[i];
  }
  return text;
}

std::optional<NodeOUs> parse_node_ous(std::string_view config_yaml, std::string_view where,
                                      const fs::path& msp_dir) {
  const auto fail = [&](const std::string& key, const std::string& problem,
                        std::string_view expected) -> CryptoError {
    return CryptoError(fmt::format("{}: {}", where, key), problem, std::string(expected));
  };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(config_yaml));
  } catch (const YAML::Exception& e) {
    throw CryptoError(std::string(where), fmt::format("malformed YAML: {}", e.msg),
                      "Fabric's MSP config.yaml");
  }
  if (!root.IsDefined() || root.IsNull()) return std::nullopt;
  if (!root.IsMap()) {
    throw CryptoError(std::string(where), "is not a mapping", "Fabric's MSP config.yaml");
  }
  const YAML::Node node_ous = root["NodeOUs"];
  if (!node_ous.IsDefined() || node_ous.IsNull()) return std::nullopt;
  if (!node_ous.IsMap()) throw fail("NodeOUs", "is not a mapping", "Enable and OU identifiers");
  NodeOUs out;
  try {
    const YAML::Node enable = node_ous["Enable"];
    if (enable.IsDefined() && !enable.IsNull()) {
      const std::string text = enable.Scalar();
      if (text == "true" || text == "True" || text == "TRUE") {
        out.enable = true;
      } else if (!(text == "false" || text == "False" || text == "FALSE")) {
        throw fail("NodeOUs.Enable", fmt::format("value \"{}\" is not a boolean", text),
                   "true or false");
      }
    }
    for (auto [key, target] : {std::pair{"ClientOUIdentifier", &out.client_ou},
                               std::pair{"PeerOUIdentifier", &out.peer_ou},
                               std::pair{"AdminOUIdentifier", &out.admin_ou},
                               std::pair{"OrdererOUIdentifier", &out.orderer_ou}}) {
      const YAML::Node id = node_ous[key];
      const std::string path = fmt::format("NodeOUs.{}", key);
      if (!id.IsDefined() || id.IsNull()) {
        target->clear();  // the role is not assigned, as in Fabric
        continue;
      }
      if (!id.IsMap()) {
        throw fail(path, "is not a mapping", "Certificate and OrganizationalUnitIdentifier");
      }
      const YAML::Node ou = id["OrganizationalUnitIdentifier"];
      if (!ou.IsDefined() || !ou.IsScalar() || ou.Scalar().empty()) {
        throw fail(path + ".OrganizationalUnitIdentifier", "is missing or empty",
                   "the OU value of the role, e.g. peer");
      }
      *target = ou.Scalar();
      const YAML::Node certificate = id["Certificate"];
      if (certificate.IsDefined() && certificate.IsScalar() && !certificate.Scalar().empty()) {
        const fs::path file = fs::path(certificate.Scalar()).is_absolute()
                                  ? fs::path(certificate.Scalar())
                                  : msp_dir / certificate.Scalar();
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) {
          throw fail(
              path + ".Certificate", fmt::format("file {} does not exist", file.string()),
              "a CA certificate of the MSP folder, e.g. cacerts/ca.org1.example.com-cert.pem");
        }
      }
    }
  } catch (const YAML::Exception& e) {
    throw CryptoError(std::string(where), fmt::format("unreadable NodeOUs: {}", e.msg),
                      "Fabric's MSP config.yaml");
  }
  return out;
}

Result<NodeRole> classify(const Certificate& certificate, const std::optional<NodeOUs>& node_ous) {
  if (node_ous && !node_ous->enable) return NodeRole::kMember;
  const NodeOUs standard;
  const NodeOUs& ous = node_ous ? *node_ous : standard;
  std::vector<NodeRole> roles;
  for (const std::string& unit : organizational_units(certificate)) {
    for (auto [role, value] :
         {std::pair{NodeRole::kClient, &ous.client_ou}, std::pair{NodeRole::kPeer, &ous.peer_ou},
          std::pair{NodeRole::kAdmin, &ous.admin_ou},
          std::pair{NodeRole::kOrderer, &ous.orderer_ou}}) {
      if (!value->empty() && unit == *value) roles.push_back(role);
    }
  }
  if (roles.size() == 1) return roles.front();
  if (roles.empty() && !node_ous) return NodeRole::kMember;  // nothing to classify by
  return Error{fmt::format(
      "carries {} role OUs ({}); the identity must be a client, a peer, an orderer or an admin "
      "identity to be valid, not a combination of them",
      roles.size(), roles.empty() ? "none of the org's NodeOUs" : "several")};
}

Status check_local_role(const LocalMsp& msp, Roles accepted) {
  if (accepted.has(msp.role) || msp.role == NodeRole::kMember) return {};
  return Error{fmt::format("signing certificate {} of {} has the role {} (NodeOUs); expected {}",
                           msp.signing_certificate.subject(), msp.msp_id, to_string(msp.role),
                           accepted.describe())};
}

namespace {

IdentityValidator::Orgs orgs_of(const IdentityValidator::CaCertificates& ca_pems_by_msp) {
  IdentityValidator::Orgs orgs;
  for (const auto& [msp_id, pems] : ca_pems_by_msp) orgs[msp_id].ca_pems = pems;
  return orgs;
}

}  // namespace

IdentityValidator::IdentityValidator(const CaCertificates& ca_pems_by_msp)
    : IdentityValidator(orgs_of(ca_pems_by_msp)) {}

IdentityValidator::IdentityValidator(const Orgs& orgs) {
  for (const auto& [msp_id, org] : orgs) {
    const std::string where = fmt::format("CA certificates of {}", msp_id);
    std::vector<Certificate> cas;
    for (const std::string& pem : org.ca_pems) {
      auto parsed = Certificate::all_from_pem(pem);
      if (!parsed) throw CryptoError(where, parsed.error(), std::string(kExpectCertificate));
      for (Certificate& ca : parsed.value()) cas.push_back(std::move(ca));
    }
    if (cas.empty()) throw CryptoError(where, "none given", "at least one CA certificate");
    orgs_.emplace(msp_id, Org{make_store(cas), org.node_ous});
  }
}

Status IdentityValidator::validate(std::string_view serialized_identity,
                                   std::chrono::system_clock::time_point at) const {
  auto role = checked(serialized_identity, at);
  if (!role) return Error{role.error()};
  return {};
}

Status IdentityValidator::validate(std::string_view serialized_identity,
                                   std::chrono::system_clock::time_point at, Roles accepted) const {
  auto role = checked(serialized_identity, at);
  if (!role) return Error{role.error()};
  if (*role == NodeRole::kMember || accepted.has(*role)) return {};
  auto identity = parse_identity(serialized_identity);
  auto certificate = certificate_of(*identity);
  return Error{fmt::format("identity of {}: certificate {} has the role {} (NodeOUs); expected {}",
                           identity->msp_id, certificate->subject(), to_string(*role),
                           accepted.describe())};
}

Result<NodeRole> IdentityValidator::checked(std::string_view serialized_identity,
                                            std::chrono::system_clock::time_point at) const {
  // A certificate's chain and role do not change; only the time can make it
  // invalid. Every block and Broadcast envelope names the same few signers, and
  // parsing plus chain-verifying one costs more than the signature check itself.
  {
    std::lock_guard lock(cache_mutex_);
    if (auto hit = valid_.find(serialized_identity);
        hit != valid_.end() && hit->second.window.from <= at && at <= hit->second.window.until) {
      return hit->second.role;
    }
  }
  ValidityWindow window;
  auto role = checked_uncached(serialized_identity, at, window);
  if (!role) return role;
  std::lock_guard lock(cache_mutex_);
  if (valid_.size() >= kMaxCachedIdentities) valid_.clear();
  valid_.insert_or_assign(std::string(serialized_identity), Valid{*role, window});
  return role;
}

Result<NodeRole> IdentityValidator::checked_uncached(std::string_view serialized_identity,
                                                     std::chrono::system_clock::time_point at,
                                                     ValidityWindow& window) const {
  auto identity = parse_identity(serialized_identity);
  if (!identity) return Error{identity.error()};
  auto certificate = certificate_of(*identity);
  if (!certificate) return Error{certificate.error()};
  const auto org = orgs_.find(identity->msp_id);
  if (org == orgs_.end()) {
    return Error{
        fmt::format("identity claims MSP {}, which is not a known org; expected one of "
                    "the orgs of the joined channels",
                    identity->msp_id)};
  }
  if (certificate->is_ca()) {
    return Error{
        fmt::format("identity of {}: certificate {} is a CA certificate (cA = TRUE); "
                    "expected a peer certificate",
                    identity->msp_id, certificate->subject())};
  }
  if (std::string problem = chain_problem(org->second.store.get(), *certificate, at, &window);
      !problem.empty()) {
    return Error{fmt::format(
        "identity of {}: certificate {} (valid {:%FT%TZ} to {:%FT%TZ}) "
        "refused at {:%FT%TZ}: {}; expected a certificate issued by a CA "
        "of {} and valid at that time",
        identity->msp_id, certificate->subject(),
        fmt::gmtime(std::chrono::system_clock::to_time_t(certificate->not_before())),
        fmt::gmtime(std::chrono::system_clock::to_time_t(certificate->not_after())),
        fmt::gmtime(std::chrono::system_clock::to_time_t(at)), problem, identity->msp_id)};
  }
  auto role = classify(*certificate, org->second.node_ous);
  if (!role) {
    return Error{fmt::format("identity of {}: certificate {} {}", identity->msp_id,
                             certificate->subject(), role.error())};
  }
  return role;
}

}  // namespace fabnet::crypto
