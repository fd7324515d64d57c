#include "crypto/msp.h"

#include <ctime>
#include <optional>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/x509_vfy.h>

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
// Returns the OpenSSL reason on failure, "" on success.
std::string chain_problem(X509_STORE* store, const Certificate& certificate,
                          std::optional<std::chrono::system_clock::time_point> at) {
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
  if (sk_X509_num(X509_STORE_CTX_get0_chain(context.get())) < 2) {
    return "the certificate is itself a trusted CA certificate";
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
  const std::shared_ptr<X509_STORE> store = make_store(cas);
  if (std::string problem = chain_problem(store.get(), certificate, std::nullopt);
      !problem.empty()) {
    throw CryptoError((msp_dir / "signcerts").string(),
                      fmt::format("certificate {} does not chain to cacerts/: {}",
                                  certificate.subject(), problem),
                      "a certificate issued by this org's CA");
  }
  std::string identity = serialize_identity(msp_id, certificate.pem());
  return LocalMsp{std::string(msp_id), std::move(certificate), std::move(signer), std::move(cas),
                  std::move(identity)};
}

IdentityValidator::IdentityValidator(const CaCertificates& ca_pems_by_msp) {
  for (const auto& [msp_id, pems] : ca_pems_by_msp) {
    const std::string where = fmt::format("CA certificates of {}", msp_id);
    std::vector<Certificate> cas;
    for (const std::string& pem : pems) {
      auto parsed = Certificate::all_from_pem(pem);
      if (!parsed) throw CryptoError(where, parsed.error(), std::string(kExpectCertificate));
      for (Certificate& ca : parsed.value()) cas.push_back(std::move(ca));
    }
    if (cas.empty()) throw CryptoError(where, "none given", "at least one CA certificate");
    stores_.emplace(msp_id, make_store(cas));
  }
}

Status IdentityValidator::validate(std::string_view serialized_identity,
                                   std::chrono::system_clock::time_point at) const {
  auto identity = parse_identity(serialized_identity);
  if (!identity) return Error{identity.error()};
  auto certificate = certificate_of(*identity);
  if (!certificate) return Error{certificate.error()};
  const auto store = stores_.find(identity->msp_id);
  if (store == stores_.end()) {
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
  if (std::string problem = chain_problem(store->second.get(), *certificate, at);
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
  return {};
}

}  // namespace fabnet::crypto
