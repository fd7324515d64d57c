#include "crypto/generate.h"

#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto/ecdsa_signature.h"
#include "crypto/error.h"
#include "crypto/files.h"
#include "crypto/openssl_handles.h"
#include "crypto/pem.h"

namespace fabnet::crypto {

namespace fs = std::filesystem;
using std::chrono::system_clock;

namespace {

constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertificateMode = 0644;
constexpr std::string_view kKeyFile = "priv_sk";  // cryptogen's name
constexpr std::string_view kExpectName =
    "letters, digits, '-' and '.', not starting or ending with '.' or '-'";
// Signing is randomised, so a high-S certificate signature is re-made; 64
// attempts all high-S has probability 2^-64.
constexpr int kMaxSigningAttempts = 64;

[[noreturn]] void fail(std::string_view what) {
  throw std::runtime_error(fmt::format("{} failed: {}", what, detail::take_openssl_errors()));
}

bool is_dns_like(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.front() == '-' || name.back() == '.' ||
      name.back() == '-' || name.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void check_spec(const NetworkSpec& spec) {
  if (spec.orgs.empty()) throw CryptoError("orgs", "is empty", "at least one org");
  std::set<std::string> domains;
  std::set<std::string> msp_ids;
  for (std::size_t i = 0; i < spec.orgs.size(); ++i) {
    const NetworkSpec::Org& org = spec.orgs[i];
    const auto key = [i](std::string_view field) { return fmt::format("orgs[{}].{}", i, field); };
    if (org.msp_id.empty()) throw CryptoError(key("msp_id"), "is empty", "an MSP ID, e.g. Org1MSP");
    if (!is_dns_like(org.domain)) {
      throw CryptoError(key("domain"), fmt::format("value \"{}\" is not a domain", org.domain),
                        fmt::format("a domain such as org1.example.com: {}", kExpectName));
    }
    if (!domains.insert(org.domain).second) {
      throw CryptoError(key("domain"), fmt::format("value \"{}\" is used twice", org.domain),
                        "a different domain per org");
    }
    if (!msp_ids.insert(org.msp_id).second) {
      throw CryptoError(key("msp_id"), fmt::format("value \"{}\" is used twice", org.msp_id),
                        "a different MSP ID per org");
    }
    if (org.peers.empty()) throw CryptoError(key("peers"), "is empty", "at least one peer name");
    std::set<std::string> peers;
    for (std::size_t p = 0; p < org.peers.size(); ++p) {
      const std::string& peer = org.peers[p];
      const std::string peer_key = key(fmt::format("peers[{}]", p));
      if (!is_dns_like(peer)) {
        throw CryptoError(peer_key, fmt::format("value \"{}\" is not a host name", peer),
                          fmt::format("a name such as peer0: {}", kExpectName));
      }
      if (!peers.insert(peer).second) {
        throw CryptoError(peer_key, fmt::format("value \"{}\" is used twice", peer),
                          "a different name per peer of an org");
      }
    }
  }
}

detail::PkeyPtr generate_p256_key() {
  detail::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("P-256 key generation");
  return key;
}

std::string pkcs8_pem(EVP_PKEY* key) {
  detail::BioPtr out(BIO_new(BIO_s_mem()));
  if (!out ||
      PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("PKCS#8 encoding");
  }
  return detail::bio_contents(out.get());
}

std::string certificate_pem(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  if (length <= 0) fail("certificate DER encoding");
  std::string pem = encode_pem("CERTIFICATE", std::string_view(reinterpret_cast<const char*>(der),
                                                               static_cast<std::size_t>(length)));
  OPENSSL_free(der);
  return pem;
}

// cryptogen's subject: C=US, ST=California, L=San Francisco[, O=...], CN=...
detail::X509NamePtr subject_name(std::string_view organization, std::string_view common_name) {
  detail::X509NamePtr name(X509_NAME_new());
  if (!name) fail("X.509 name allocation");
  const auto add = [&](const char* field, std::string_view value) {
    if (X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8, detail::bytes_of(value),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      fail("X.509 name construction");
    }
  };
  add("C", "US");
  add("ST", "California");
  add("L", "San Francisco");
  if (!organization.empty()) add("O", organization);
  add("CN", common_name);
  return name;
}

// A random positive 127-bit serial number (RFC 5280 allows up to 20 octets).
void set_random_serial(X509* certificate) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) fail("serial number generation");
  bytes[0] &= 0x7f;
  bytes[15] |= 0x01;
  detail::BignumPtr serial(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) == nullptr) {
    fail("serial number encoding");
  }
}

void add_extension(X509* certificate, X509V3_CTX* context, int nid, const char* value) {
  detail::X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    fail(fmt::format("X.509 extension {}={}", OBJ_nid2sn(nid), value));
  }
}

bool has_low_s_signature(X509* certificate, EVP_PKEY* issuer_key) {
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, certificate);
  const auto parsed = detail::parse_signature(
      std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(signature)),
                       static_cast<std::size_t>(ASN1_STRING_length(signature))));
  return parsed && detail::is_low_s(parsed.get(), detail::curve_order(issuer_key));
}

struct Issuer {
  X509* certificate;  // nullptr: self-signed
  EVP_PKEY* key;
};

detail::X509Ptr issue_certificate(const X509_NAME* subject, EVP_PKEY* subject_key, Issuer issuer,
                                  bool is_ca, system_clock::time_point valid_from) {
  detail::X509Ptr certificate(X509_new());
  if (!certificate) fail("certificate allocation");
  X509* x = certificate.get();
  const time_t not_before = system_clock::to_time_t(valid_from);
  const time_t not_after = system_clock::to_time_t(valid_from + kCertificateLifetime);
  if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, subject) != 1 ||
      X509_set_issuer_name(
          x, issuer.certificate ? X509_get_subject_name(issuer.certificate) : subject) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), not_after) == nullptr ||
      X509_set_pubkey(x, subject_key) != 1) {
    fail("certificate construction");
  }
  set_random_serial(x);

  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer.certificate ? issuer.certificate : x, x, nullptr, nullptr, 0);
  if (is_ca) {
    // cryptogen's CA: signs certificates and CRLs, usable for TLS too.
    add_extension(x, &context, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(x, &context, NID_key_usage,
                  "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign");
    add_extension(x, &context, NID_ext_key_usage, "clientAuth,serverAuth");
    add_extension(x, &context, NID_subject_key_identifier, "hash");
  } else {
    add_extension(x, &context, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x, &context, NID_key_usage, "critical,digitalSignature");
    add_extension(x, &context, NID_subject_key_identifier, "hash");
    add_extension(x, &context, NID_authority_key_identifier, "keyid:always");
  }

  for (int attempt = 0; attempt < kMaxSigningAttempts; ++attempt) {
    if (X509_sign(x, issuer.key, EVP_sha256()) <= 0) fail("certificate signing");
    if (has_low_s_signature(x, issuer.key)) return certificate;
  }
  throw std::runtime_error("certificate signing: no low-S signature after 64 attempts");
}

fs::path make_directory(const fs::path& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) throw CryptoError(path.string(), "cannot be created: " + error.message(), "");
  return path;
}

void write_msp(const fs::path& msp, std::string_view certificate_name,
               std::string_view certificate_pem, std::string_view key_pem, std::string_view ca_name,
               std::string_view ca_pem) {
  detail::write_file(make_directory(msp / "signcerts") / certificate_name, certificate_pem,
                     kCertificateMode);
  const fs::path keystore = make_directory(msp / "keystore");
  std::error_code error;
  fs::permissions(keystore, fs::perms::owner_all, error);  // only the owner lists keys
  if (error) throw CryptoError(keystore.string(), "chmod 0700 failed: " + error.message(), "");
  detail::write_file(keystore / kKeyFile, key_pem, kKeyMode);
  detail::write_file(make_directory(msp / "cacerts") / ca_name, ca_pem, kCertificateMode);
}

// One org: its CA under `root`, and an MSP per member (name, MSP folder).
void generate_org(const NetworkSpec::Org& org, const fs::path& root,
                  const std::vector<std::pair<std::string, fs::path>>& members,
                  system_clock::time_point valid_from) {
  std::error_code error;
  if (fs::exists(root, error)) {
    throw CryptoError(
        root.string(), "already exists",
        "an output folder without material for this org (keys are never overwritten)");
  }
  const std::string ca_host = "ca." + org.domain;
  const std::string ca_file = ca_host + "-cert.pem";
  detail::PkeyPtr ca_key = generate_p256_key();
  const detail::X509NamePtr ca_subject = subject_name(org.domain, ca_host);
  const detail::X509Ptr ca = issue_certificate(ca_subject.get(), ca_key.get(),
                                               Issuer{nullptr, ca_key.get()}, true, valid_from);
  const std::string ca_pem = certificate_pem(ca.get());

  const fs::path ca_dir = make_directory(root / "ca");
  detail::write_file(ca_dir / ca_file, ca_pem, kCertificateMode);
  detail::write_file(ca_dir / kKeyFile, pkcs8_pem(ca_key.get()), kKeyMode);
  detail::write_file(make_directory(root / "msp" / "cacerts") / ca_file, ca_pem, kCertificateMode);

  for (const auto& [name, msp] : members) {
    detail::PkeyPtr key = generate_p256_key();
    const detail::X509NamePtr subject = subject_name("", name);
    const detail::X509Ptr certificate = issue_certificate(
        subject.get(), key.get(), Issuer{ca.get(), ca_key.get()}, false, valid_from);
    write_msp(msp, name + "-cert.pem", certificate_pem(certificate.get()), pkcs8_pem(key.get()),
              ca_file, ca_pem);
  }
}

void check_orderer(const NetworkSpec& spec) {
  const NetworkSpec::Org& o = *spec.orderer;
  if (o.msp_id.empty())
    throw CryptoError("orderer.msp_id", "is empty", "an MSP ID, e.g. OrdererMSP");
  if (!is_dns_like(o.domain)) {
    throw CryptoError("orderer.domain", fmt::format("value \"{}\" is not a domain", o.domain),
                      fmt::format("a domain such as example.com: {}", kExpectName));
  }
  for (const NetworkSpec::Org& org : spec.orgs) {
    if (org.domain == o.domain || org.msp_id == o.msp_id) {
      throw CryptoError("orderer", fmt::format("shares a domain or MSP ID with org {}", org.name),
                        "an orderer org of its own");
    }
  }
  if (o.peers.empty()) throw CryptoError("orderer.hosts", "is empty", "at least one host name");
  for (const std::string& host : o.peers) {
    if (!is_dns_like(host)) {
      throw CryptoError("orderer.hosts", fmt::format("value \"{}\" is not a host name", host),
                        fmt::format("a name such as orderer: {}", kExpectName));
    }
  }
}

}  // namespace

void generate_crypto_material(const NetworkSpec& spec, const fs::path& out,
                              system_clock::time_point valid_from) {
  check_spec(spec);
  if (spec.orderer) {
    check_orderer(spec);
    // Checked before writing anything, so a second run changes nothing.
    std::error_code error;
    if (fs::exists(orderer_org_folder(out, *spec.orderer), error)) {
      throw CryptoError(orderer_org_folder(out, *spec.orderer).string(), "already exists",
                        "an output folder without material for this org");
    }
  }
  for (const NetworkSpec::Org& org : spec.orgs) {
    std::vector<std::pair<std::string, fs::path>> members;
    for (const std::string& peer : org.peers) {
      members.emplace_back(peer + "." + org.domain, peer_msp_folder(out, org, peer));
    }
    members.emplace_back("User1@" + org.domain, user_msp_folder(out, org));
    generate_org(org, org_folder(out, org), members, valid_from);
  }
  if (spec.orderer) {
    const NetworkSpec::Org& o = *spec.orderer;
    std::vector<std::pair<std::string, fs::path>> members;
    for (const std::string& host : o.peers) {
      members.emplace_back(host + "." + o.domain, orderer_msp_folder(out, o, host));
    }
    generate_org(o, orderer_org_folder(out, o), members, valid_from);
  }
}

void generate_crypto_material(const NetworkSpec& spec, const fs::path& out) {
  generate_crypto_material(spec, out, system_clock::now() - std::chrono::hours(1));
}

fs::path org_folder(const fs::path& out, const NetworkSpec::Org& org) {
  return out / "peerOrganizations" / org.domain;
}

fs::path peer_msp_folder(const fs::path& out, const NetworkSpec::Org& org, std::string_view peer) {
  return org_folder(out, org) / "peers" / (std::string(peer) + "." + org.domain) / "msp";
}

fs::path ca_certificate_file(const fs::path& out, const NetworkSpec::Org& org) {
  return org_folder(out, org) / "ca" / ("ca." + org.domain + "-cert.pem");
}

fs::path user_msp_folder(const fs::path& out, const NetworkSpec::Org& org) {
  return org_folder(out, org) / "users" / ("User1@" + org.domain) / "msp";
}

fs::path orderer_org_folder(const fs::path& out, const NetworkSpec::Org& orderer) {
  return out / "ordererOrganizations" / orderer.domain;
}

fs::path orderer_ca_certificate_file(const fs::path& out, const NetworkSpec::Org& orderer) {
  return orderer_org_folder(out, orderer) / "ca" / ("ca." + orderer.domain + "-cert.pem");
}

fs::path orderer_msp_folder(const fs::path& out, const NetworkSpec::Org& orderer,
                            std::string_view host) {
  return orderer_org_folder(out, orderer) / "orderers" /
         (std::string(host) + "." + orderer.domain) / "msp";
}

}  // namespace fabnet::crypto
