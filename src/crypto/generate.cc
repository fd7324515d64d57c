#include "crypto/generate.h"

#include <arpa/inet.h>

#include <algorithm>
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

// cryptogen's subject: C=US, ST=California, L=San Francisco[, O=...][, OU=...], CN=...
detail::X509NamePtr subject_name(std::string_view organization,
                                 const std::vector<std::string>& organizational_units,
                                 std::string_view common_name) {
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
  for (const std::string& unit : organizational_units) add("OU", unit);
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

void add_extension(X509* certificate, X509V3_CTX* context, int nid, const std::string& value) {
  detail::X509ExtensionPtr extension(
      X509V3_EXT_nconf_nid(nullptr, context, nid, const_cast<char*>(value.c_str())));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    fail(fmt::format("X.509 extension {}={}", OBJ_nid2sn(nid), value));
  }
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// "DNS:a,IP:127.0.0.1" for X509V3_EXT_nconf_nid; names are checked, as a ',' or
// ':' inside one would change the meaning of the list.
std::string subject_alt_names(const std::vector<std::string>& sans) {
  std::string list;
  for (const std::string& san : sans) {
    const bool ip = is_ip_address(san);
    const bool dns =
        !ip && (is_dns_like(san) || (san.starts_with("*.") && is_dns_like(san.substr(2))));
    if (!ip && !dns) {
      throw CryptoError(
          "SANS", fmt::format("value \"{}\" is neither a host name nor an IP address", san),
          "DNS names (letters, digits, '-', '.', optionally *.) or IPv4/IPv6 addresses");
    }
    if (!list.empty()) list += ',';
    list += (ip ? "IP:" : "DNS:") + san;
  }
  return list;
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

enum class Kind { kCa, kSigning, kTls };

detail::X509Ptr make_certificate(const X509_NAME* subject, EVP_PKEY* subject_key, Issuer issuer,
                                 Kind kind, const std::vector<std::string>& sans,
                                 system_clock::time_point not_before,
                                 system_clock::time_point not_after) {
  detail::X509Ptr certificate(X509_new());
  if (!certificate) fail("certificate allocation");
  X509* x = certificate.get();
  if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, subject) != 1 ||
      X509_set_issuer_name(
          x, issuer.certificate ? X509_get_subject_name(issuer.certificate) : subject) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x), system_clock::to_time_t(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), system_clock::to_time_t(not_after)) == nullptr ||
      X509_set_pubkey(x, subject_key) != 1) {
    fail("certificate construction");
  }
  set_random_serial(x);

  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer.certificate ? issuer.certificate : x, x, nullptr, nullptr, 0);
  switch (kind) {
    case Kind::kCa:
      // cryptogen's CA: signs certificates and CRLs, usable for TLS too.
      add_extension(x, &context, NID_basic_constraints, "critical,CA:TRUE");
      add_extension(x, &context, NID_key_usage,
                    "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign");
      add_extension(x, &context, NID_ext_key_usage, "clientAuth,serverAuth");
      add_extension(x, &context, NID_subject_key_identifier, "hash");
      break;
    case Kind::kSigning:
      add_extension(x, &context, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(x, &context, NID_key_usage, "critical,digitalSignature");
      add_extension(x, &context, NID_subject_key_identifier, "hash");
      add_extension(x, &context, NID_authority_key_identifier, "keyid:always");
      break;
    case Kind::kTls:
      add_extension(x, &context, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(x, &context, NID_key_usage, "critical,digitalSignature,keyEncipherment");
      add_extension(x, &context, NID_ext_key_usage, "serverAuth,clientAuth");
      add_extension(x, &context, NID_subject_key_identifier, "hash");
      add_extension(x, &context, NID_authority_key_identifier, "keyid:always");
      break;
  }
  if (!sans.empty()) add_extension(x, &context, NID_subject_alt_name, subject_alt_names(sans));

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

void make_private_directory(const fs::path& path) {
  make_directory(path);
  std::error_code error;
  fs::permissions(path, fs::perms::owner_all, error);  // only the owner lists keys
  if (error) throw CryptoError(path.string(), "chmod 0700 failed: " + error.message(), "");
}

// A CA: its certificate, key and file name (<name>-cert.pem).
struct Ca {
  std::string name;  // ca.<domain> or tlsca.<domain>
  detail::PkeyPtr key;
  detail::X509Ptr certificate;
  std::string pem;
  std::string file_name() const { return name + "-cert.pem"; }
};

Ca make_ca(std::string_view name, std::string_view organization,
           system_clock::time_point valid_from) {
  Ca ca;
  ca.name = std::string(name);
  ca.key = generate_p256_key();
  const detail::X509NamePtr subject = subject_name(organization, {}, name);
  ca.certificate = make_certificate(subject.get(), ca.key.get(), Issuer{nullptr, ca.key.get()},
                                    Kind::kCa, {}, valid_from, valid_from + kCertificateLifetime);
  ca.pem = certificate_pem(ca.certificate.get());
  return ca;
}

// ca/ or tlsca/: the CA's certificate and key, as cryptogen leaves them.
void write_ca(const Ca& ca, const fs::path& dir) {
  make_directory(dir);
  detail::write_file(dir / ca.file_name(), ca.pem, kCertificateMode);
  detail::write_file(dir / kKeyFile, pkcs8_pem(ca.key.get()), kKeyMode);
}

// NodeOUs as cryptogen's exportConfig writes them: every role identified by
// the org's CA certificate and its OU.
std::string node_ous_config(const Ca& ca) {
  std::string text = "NodeOUs:\n  Enable: true\n";
  for (const auto& [key, unit] :
       {std::pair{"ClientOUIdentifier", "client"}, std::pair{"PeerOUIdentifier", "peer"},
        std::pair{"AdminOUIdentifier", "admin"}, std::pair{"OrdererOUIdentifier", "orderer"}}) {
    text +=
        fmt::format("  {}:\n    Certificate: cacerts/{}\n    OrganizationalUnitIdentifier: {}\n",
                    key, ca.file_name(), unit);
  }
  return text;
}

// cacerts/, tlscacerts/, admincerts/ and config.yaml (NodeOUs): what the org's
// verifying MSP and every local MSP share.
void write_verifying_msp(const fs::path& msp, const Ca& ca, const Ca& tls_ca, bool node_ous) {
  detail::write_file(make_directory(msp / "cacerts") / ca.file_name(), ca.pem, kCertificateMode);
  detail::write_file(make_directory(msp / "tlscacerts") / tls_ca.file_name(), tls_ca.pem,
                     kCertificateMode);
  make_directory(msp / "admincerts");
  if (node_ous) detail::write_file(msp / "config.yaml", node_ous_config(ca), kCertificateMode);
}

enum class Role { kPeer, kOrderer, kClient, kAdmin };

std::string_view organizational_unit(Role role) {
  switch (role) {
    case Role::kPeer:
      return "peer";
    case Role::kOrderer:
      return "orderer";
    case Role::kClient:
      return "client";
    case Role::kAdmin:
      return "admin";
  }
  return "";
}

// A host or user: <dir>/msp and <dir>/tls.
struct Member {
  std::string name;  // the certificate's CN and the folder's name
  fs::path dir;
  Role role;
  std::vector<std::string> sans;  // TLS SANs; hosts only
};

void write_member(const Member& member, const Ca& ca, const Ca& tls_ca, bool node_ous,
                  system_clock::time_point valid_from) {
  const fs::path msp = member.dir / "msp";
  write_verifying_msp(msp, ca, tls_ca, node_ous);
  std::vector<std::string> units;
  if (node_ous) units.emplace_back(organizational_unit(member.role));
  const system_clock::time_point valid_to = valid_from + kCertificateLifetime;

  detail::PkeyPtr key = generate_p256_key();
  const detail::X509NamePtr subject = subject_name("", units, member.name);
  const detail::X509Ptr certificate =
      make_certificate(subject.get(), key.get(), Issuer{ca.certificate.get(), ca.key.get()},
                       Kind::kSigning, {}, valid_from, valid_to);
  const std::string pem = certificate_pem(certificate.get());
  detail::write_file(make_directory(msp / "signcerts") / (member.name + "-cert.pem"), pem,
                     kCertificateMode);
  make_private_directory(msp / "keystore");
  detail::write_file(msp / "keystore" / kKeyFile, pkcs8_pem(key.get()), kKeyMode);

  // The TLS identity: no OU, as cryptogen makes it.
  const fs::path tls = member.dir / "tls";
  make_directory(tls);
  detail::PkeyPtr tls_key = generate_p256_key();
  const detail::X509NamePtr tls_subject = subject_name("", {}, member.name);
  const detail::X509Ptr tls_certificate = make_certificate(
      tls_subject.get(), tls_key.get(), Issuer{tls_ca.certificate.get(), tls_ca.key.get()},
      Kind::kTls, member.sans, valid_from, valid_to);
  const bool client = member.role == Role::kClient || member.role == Role::kAdmin;
  const std::string prefix = client ? "client" : "server";
  detail::write_file(tls / "ca.crt", tls_ca.pem, kCertificateMode);
  detail::write_file(tls / (prefix + ".crt"), certificate_pem(tls_certificate.get()),
                     kCertificateMode);
  detail::write_file(tls / (prefix + ".key"), pkcs8_pem(tls_key.get()), kKeyMode);
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// cryptogen's SANs of a host: its full name, its short name, then the extra ones
// with templates filled in; fabnet adds localhost and 127.0.0.1 for loopback.
std::vector<std::string> host_sans(const NetworkSpec::Org& org, const std::string& host) {
  const std::string common_name = host + "." + org.domain;
  std::vector<std::string> sans{common_name, host};
  std::vector<std::string> extra = org.sans;
  if (const auto found = org.host_sans.find(host); found != org.host_sans.end()) {
    extra.insert(extra.end(), found->second.begin(), found->second.end());
  }
  extra.emplace_back("localhost");
  extra.emplace_back("127.0.0.1");
  for (const std::string& san : extra) {
    std::string value = replace_all(san, "{{.Hostname}}", host);
    value = replace_all(value, "{{.Domain}}", org.domain);
    value = replace_all(value, "{{.CommonName}}", common_name);
    if (std::find(sans.begin(), sans.end(), value) == sans.end()) sans.push_back(value);
  }
  return sans;
}

// One org: CAs, verifying MSP, hosts, users (Admin last, as cryptogen does) and,
// without NodeOUs, Admin's certificate in every admincerts/ as cryptogen copies it.
void generate_org(const NetworkSpec::Org& org, const fs::path& root, Role host_role,
                  std::string_view hosts_folder, std::size_t users,
                  system_clock::time_point valid_from) {
  std::error_code error;
  if (fs::exists(root, error)) {
    throw CryptoError(
        root.string(), "already exists",
        "an output folder without material for this org (keys are never overwritten)");
  }
  const Ca ca = make_ca("ca." + org.domain, org.domain, valid_from);
  const Ca tls_ca = make_ca("tlsca." + org.domain, org.domain, valid_from);
  write_ca(ca, root / "ca");
  write_ca(tls_ca, root / "tlsca");
  write_verifying_msp(root / "msp", ca, tls_ca, org.node_ous);

  std::vector<Member> members;
  for (const std::string& host : org.peers) {
    const std::string name = host + "." + org.domain;
    members.push_back(Member{name, root / hosts_folder / name, host_role, host_sans(org, host)});
  }
  for (std::size_t n = 1; n <= users; ++n) {
    const std::string name = fmt::format("User{}@{}", n, org.domain);
    members.push_back(Member{name, root / "users" / name, Role::kClient, {}});
  }
  const std::string admin = "Admin@" + org.domain;
  members.push_back(
      Member{admin, root / "users" / admin, org.node_ous ? Role::kAdmin : Role::kClient, {}});
  for (const Member& member : members) write_member(member, ca, tls_ca, org.node_ous, valid_from);

  if (!org.node_ous) {
    const std::string file = admin + "-cert.pem";
    const std::string pem = detail::read_file(root / "users" / admin / "msp" / "signcerts" / file);
    detail::write_file(root / "msp" / "admincerts" / file, pem, kCertificateMode);
    for (std::size_t i = 0; i < org.peers.size(); ++i) {
      detail::write_file(members[i].dir / "msp" / "admincerts" / file, pem, kCertificateMode);
    }
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

// Every SAN of every host, checked before anything is written.
void check_sans(const NetworkSpec::Org& org) {
  for (const std::string& host : org.peers) subject_alt_names(host_sans(org, host));
}

detail::PkeyPtr read_key(std::string_view pem, std::string_view where) {
  detail::BioPtr in = detail::memory_bio(pem);
  detail::PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  if (!key) {
    throw CryptoError(std::string(where),
                      "holds no readable private key: " + detail::take_openssl_errors(),
                      "a PKCS#8 PEM private key (\"-----BEGIN PRIVATE KEY-----\")");
  }
  return key;
}

detail::X509Ptr read_certificate(std::string_view pem, std::string_view where) {
  detail::BioPtr in = detail::memory_bio(pem);
  detail::X509Ptr certificate(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!certificate) {
    throw CryptoError(std::string(where),
                      "holds no readable certificate: " + detail::take_openssl_errors(),
                      "a PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
  }
  return certificate;
}

}  // namespace

void generate_crypto_material(const NetworkSpec& spec, const fs::path& out,
                              system_clock::time_point valid_from) {
  check_spec(spec);
  for (const NetworkSpec::Org& org : spec.orgs) check_sans(org);
  if (spec.orderer) {
    check_orderer(spec);
    check_sans(*spec.orderer);
    // Checked before writing anything, so a second run changes nothing.
    std::error_code error;
    if (fs::exists(orderer_org_folder(out, *spec.orderer), error)) {
      throw CryptoError(orderer_org_folder(out, *spec.orderer).string(), "already exists",
                        "an output folder without material for this org");
    }
  }
  for (const NetworkSpec::Org& org : spec.orgs) {
    generate_org(org, org_folder(out, org), Role::kPeer, "peers", org.users, valid_from);
  }
  if (spec.orderer) {
    generate_org(*spec.orderer, orderer_org_folder(out, *spec.orderer), Role::kOrderer, "orderers",
                 0, valid_from);
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
  return user_msp_folder(out, org, 1);
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

namespace {

TlsFiles tls_files(const fs::path& member_dir, bool client) {
  const fs::path tls = member_dir / "tls";
  const std::string prefix = client ? "client" : "server";
  return TlsFiles{tls / "ca.crt", tls / (prefix + ".crt"), tls / (prefix + ".key")};
}

}  // namespace

fs::path tls_ca_certificate_file(const fs::path& out, const NetworkSpec::Org& org) {
  return org_folder(out, org) / "tlsca" / ("tlsca." + org.domain + "-cert.pem");
}

fs::path ca_key_file(const fs::path& out, const NetworkSpec::Org& org) {
  return org_folder(out, org) / "ca" / kKeyFile;
}

fs::path tls_ca_key_file(const fs::path& out, const NetworkSpec::Org& org) {
  return org_folder(out, org) / "tlsca" / kKeyFile;
}

fs::path orderer_tls_ca_certificate_file(const fs::path& out, const NetworkSpec::Org& orderer) {
  return orderer_org_folder(out, orderer) / "tlsca" / ("tlsca." + orderer.domain + "-cert.pem");
}

fs::path orderer_tls_ca_key_file(const fs::path& out, const NetworkSpec::Org& orderer) {
  return orderer_org_folder(out, orderer) / "tlsca" / kKeyFile;
}

TlsFiles peer_tls_files(const fs::path& out, const NetworkSpec::Org& org, std::string_view peer) {
  return tls_files(peer_msp_folder(out, org, peer).parent_path(), false);
}

TlsFiles orderer_tls_files(const fs::path& out, const NetworkSpec::Org& orderer,
                           std::string_view host) {
  return tls_files(orderer_msp_folder(out, orderer, host).parent_path(), false);
}

fs::path user_msp_folder(const fs::path& out, const NetworkSpec::Org& org, std::size_t n) {
  return org_folder(out, org) / "users" / fmt::format("User{}@{}", n, org.domain) / "msp";
}

TlsFiles user_tls_files(const fs::path& out, const NetworkSpec::Org& org, std::size_t n) {
  return tls_files(user_msp_folder(out, org, n).parent_path(), true);
}

fs::path admin_msp_folder(const fs::path& out, const NetworkSpec::Org& org) {
  return org_folder(out, org) / "users" / ("Admin@" + org.domain) / "msp";
}

TlsFiles admin_tls_files(const fs::path& out, const NetworkSpec::Org& org) {
  return tls_files(admin_msp_folder(out, org).parent_path(), true);
}

fs::path orderer_admin_msp_folder(const fs::path& out, const NetworkSpec::Org& orderer) {
  return orderer_org_folder(out, orderer) / "users" / ("Admin@" + orderer.domain) / "msp";
}

TlsFiles orderer_admin_tls_files(const fs::path& out, const NetworkSpec::Org& orderer) {
  return tls_files(orderer_admin_msp_folder(out, orderer).parent_path(), true);
}

IssuedCertificate issue_certificate(const IssuedCertificate& ca,
                                    const CertificateRequest& request) {
  const detail::X509Ptr ca_certificate = read_certificate(ca.certificate_pem, "CA certificate");
  const detail::PkeyPtr ca_key = read_key(ca.key_pem, "CA key");
  if (X509_check_private_key(ca_certificate.get(), ca_key.get()) != 1) {
    detail::take_openssl_errors();
    throw CryptoError("CA key", "does not belong to the CA certificate",
                      "the private key of the CA certificate");
  }
  if (request.common_name.empty()) {
    throw CryptoError("common_name", "is empty",
                      "the certificate's CN, e.g. peer0.org1.example.com");
  }
  detail::PkeyPtr key = generate_p256_key();
  const detail::X509NamePtr subject =
      subject_name("", request.organizational_units, request.common_name);
  const detail::X509Ptr certificate =
      make_certificate(subject.get(), key.get(), Issuer{ca_certificate.get(), ca_key.get()},
                       request.tls ? Kind::kTls : Kind::kSigning, request.sans, request.not_before,
                       request.not_after);
  return IssuedCertificate{certificate_pem(certificate.get()), pkcs8_pem(key.get())};
}

IssuedCertificate issue_certificate(const fs::path& ca_certificate_file,
                                    const fs::path& ca_key_file,
                                    const CertificateRequest& request) {
  return issue_certificate(
      IssuedCertificate{detail::read_file(ca_certificate_file), detail::read_file(ca_key_file)},
      request);
}

IssuedCertificate make_certificate_authority(std::string_view common_name,
                                             std::string_view organization,
                                             system_clock::time_point valid_from) {
  const Ca ca = make_ca(common_name, organization, valid_from);
  return IssuedCertificate{ca.pem, pkcs8_pem(ca.key.get())};
}

void write_certificate_and_key(const IssuedCertificate& issued, const fs::path& certificate_file,
                               const fs::path& key_file) {
  if (certificate_file.has_parent_path()) make_directory(certificate_file.parent_path());
  if (key_file.has_parent_path()) make_directory(key_file.parent_path());
  detail::write_file(certificate_file, issued.certificate_pem, kCertificateMode);
  detail::write_file(key_file, issued.key_pem, kKeyMode);
}

}  // namespace fabnet::crypto
