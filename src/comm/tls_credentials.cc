#include "comm/tls_credentials.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

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
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};

// Every certificate in `pem`, in order.
std::vector<std::unique_ptr<X509, X509Free>> certificates_of(std::string_view pem) {
  std::vector<std::unique_ptr<X509, X509Free>> out;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out.emplace_back(cert);
  ERR_clear_error();  // the read that ends the loop leaves an error behind
  return out;
}

// Checks client certificates against ServerTls's client_roots_pem and its extra roots
// as they are at each handshake; gRPC's TLS stack asked for the certificate and left
// its verification to this.
class ClientRootsVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  ClientRootsVerifier(std::string base_roots, std::shared_ptr<const TrustedRoots> extra)
      : base_roots_(std::move(base_roots)), extra_(std::move(extra)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    std::string chain(request->peer_cert_full_chain().data(),
                      request->peer_cert_full_chain().size());
    if (chain.empty()) chain.assign(request->peer_cert().data(), request->peer_cert().size());
    const std::string roots = base_roots_ + (extra_ ? extra_->pem() : std::string());
    const std::string error = chain.empty() ? std::string("the client presented no certificate")
                                            : verify_client_certificate(chain, roots);
    *sync_status =
        error.empty() ? grpc::Status::OK : grpc::Status(grpc::StatusCode::UNAUTHENTICATED, error);
    return true;  // done synchronously
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string base_roots_;
  const std::shared_ptr<const TrustedRoots> extra_;
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

std::size_t TrustedRoots::add(std::string_view pem) {
  std::size_t added = 0;
  for (const auto& cert : certificates_of(pem)) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert.get(), &der);
    if (length <= 0) continue;
    std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    std::unique_ptr<BIO, BioFree> out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_X509(out.get(), cert.get()) != 1) continue;
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    std::lock_guard lock(mutex_);
    if (!ders_.insert(std::move(bytes)).second) continue;
    pem_.append(data, static_cast<std::size_t>(size));
    ++version_;
    ++added;
  }
  return added;
}

std::string TrustedRoots::pem() const {
  std::lock_guard lock(mutex_);
  return pem_;
}

std::uint64_t TrustedRoots::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::string verify_client_certificate(std::string_view chain_pem, std::string_view roots_pem) {
  auto chain = certificates_of(chain_pem);
  if (chain.empty()) return "the client certificate does not parse";
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return "out of memory";
  for (const auto& root : certificates_of(roots_pem)) X509_STORE_add_cert(store.get(), root.get());
  for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].release());
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1)
    return "cannot set up the certificate check";
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) == 1) return {};
  return fmt::format("client certificate refused: {}",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const ServerTls& tls) {
  if (tls.client_auth_required && tls.extra_client_roots) {
    // gRPC's TLS stack asks for a certificate and requires one; the chain check runs in
    // ClientRootsVerifier, so that roots added later count.
    using namespace grpc::experimental;
    auto provider = std::make_shared<StaticDataCertificateProvider>(
        std::vector<IdentityKeyCertPair>{{tls.server.key_pem, tls.server.cert_pem}});
    TlsServerCredentialsOptions options(provider);
    options.watch_identity_key_cert_pairs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    options.set_certificate_verifier(ExternalCertificateVerifier::Create<ClientRootsVerifier>(
        tls.client_roots_pem, tls.extra_client_roots));
    return TlsServerCredentials(options);
  }
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
  if (tls.extra_server_roots) {
    if (!options.pem_root_certs.empty() && options.pem_root_certs.back() != '\n')
      options.pem_root_certs += '\n';
    options.pem_root_certs += tls.extra_server_roots->pem();
  }
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
