#include "comm/tls_credentials.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_context.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "crypto/certificate.h"
#include "crypto/pem.h"

namespace fabnet::comm {

namespace {

std::string read_whole(std::string_view key, const std::filesystem::path& path) {
  if (path.empty()) throw TlsError(fmt::format("{} is not set; expected a PEM file path", key));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw TlsError(
        fmt::format("{}: cannot read {}; expected a readable PEM file", key, path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string utc(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

}  // namespace

std::string read_tls_certificates(std::string_view key, const std::filesystem::path& path) {
  std::string pem = read_whole(key, path);
  const auto certificates = crypto::Certificate::all_from_pem(pem);
  if (!certificates.ok()) {
    throw TlsError(
        fmt::format("{}: {} holds no usable certificate ({}); expected PEM "
                    "CERTIFICATE blocks",
                    key, path.string(), certificates.error()));
  }
  return pem;
}

std::string read_tls_private_key(std::string_view key, const std::filesystem::path& path) {
  std::string pem = read_whole(key, path);
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) {
    throw TlsError(
        fmt::format("{}: {} holds no usable private key; expected an unencrypted PEM "
                    "PRIVATE KEY",
                    key, path.string()));
  }
  return pem;
}

void check_tls_certificate_valid(std::string_view key, const std::string& cert_pem) {
  const auto certificates = crypto::Certificate::all_from_pem(cert_pem);
  if (!certificates.ok() || certificates->empty()) {
    throw TlsError(fmt::format("{}: no certificate", key));
  }
  const crypto::Certificate& leaf = certificates->front();
  const auto now = std::chrono::system_clock::now();
  if (now < leaf.not_before() || now > leaf.not_after()) {
    throw TlsError(fmt::format(
        "{}: the certificate {} is {} (valid {} to {}); expected a currently valid certificate",
        key, leaf.subject(), now < leaf.not_before() ? "not yet valid" : "expired",
        utc(leaf.not_before()), utc(leaf.not_after())));
  }
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const ServerTls& tls) {
  grpc::SslServerCredentialsOptions options(
      tls.client_auth_required ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                               : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  options.pem_root_certs = tls.client_roots_pem;
  options.pem_key_cert_pairs.push_back({tls.server.key_pem, tls.server.cert_pem});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const ClientTls& tls) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.server_roots_pem;
  if (tls.client) {
    options.pem_private_key = tls.client->key_pem;
    options.pem_cert_chain = tls.client->cert_pem;
  }
  return grpc::SslCredentials(options);
}

std::string certificate_hash_of_pem(std::string_view pem) {
  const auto block = crypto::decode_pem(pem);
  if (!block) return {};
  const auto certificate = crypto::Certificate::from_der(block->bytes);
  return certificate.ok() ? crypto::tls_cert_hash(*certificate) : std::string();
}

std::string remote_certificate_hash(const grpc::AuthContext& auth) {
  // gRPC puts the peer's leaf certificate, as PEM, under this property on TLS calls.
  const auto values = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (values.empty()) return {};
  return certificate_hash_of_pem(std::string_view(values.front().data(), values.front().size()));
}

}  // namespace fabnet::comm
